/**
 * Overview, the built-in dashboard (`/overview?range=1h`): log volume by service and level, error
 * rate per service, the newest errors, the top patterns and the server's own health. Every panel
 * loads on its own (its error shown in it, the others unaffected) and all reload every 30 s, on the
 * Refresh button, and when the range or the tenant changes.
 */
import { useEffect, useState } from 'preact/hooks';
import type { UiSettings } from '../../lib/settings.js';
import { navigate, useRoute } from '../../lib/route.js';
import { getTenant } from '../../lib/tenant.js';
import { formatTime } from '../../lib/time.js';
import { RANGES, REFRESH_MS, readRange, type OverviewRange } from './overview-data.js';
import { ServiceVolumePanel } from './service-volume.js';
import { ErrorRatePanel } from './error-rate.js';
import { NewestErrorsPanel } from './newest-errors.js';
import { TopPatternsPanel } from './top-patterns.js';
import { HealthPanel } from './health.js';
import './overview.css';

export function OverviewPage(_props: { settings: UiSettings }) {
  const range = readRange(useRoute().params);
  const tenant = getTenant();
  const [tick, setTick] = useState(0);
  const [loadedAt, setLoadedAt] = useState(() => Date.now());
  useEffect(() => {
    setLoadedAt(Date.now());
    // The next reload is a full interval after this one, whatever started it (timer, button, range).
    const id = setTimeout(() => setTick((t) => t + 1), REFRESH_MS);
    return () => clearTimeout(id);
  }, [tick, range, tenant]);
  const props = { range, tick, tenant };
  return (
    <div class="overview">
      <div class="overview-toolbar">
        <h1>Overview</h1>
        <span class="spacer" />
        <label>
          Range{' '}
          <select
            aria-label="Time range"
            value={range}
            onChange={(e) => navigate('overview', { range: (e.target as HTMLSelectElement).value as OverviewRange }, true)}
          >
            {RANGES.map((r) => (
              <option value={r}>Last {r}</option>
            ))}
          </select>
        </label>
        <button type="button" class="refresh" onClick={() => setTick((t) => t + 1)}>
          Refresh
        </button>
        <span class="updated" title="Panels reload every 30 s">
          updated {formatTime(loadedAt, 'local').slice(11, 19)}
        </span>
      </div>
      <div class="overview-grid">
        <ServiceVolumePanel {...props} />
        <ErrorRatePanel {...props} />
        <HealthPanel tick={tick} tenant={tenant} />
        <NewestErrorsPanel {...props} />
        <TopPatternsPanel {...props} />
      </div>
    </div>
  );
}
