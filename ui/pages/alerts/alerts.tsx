import type { UiSettings } from '../../lib/settings.js';

export function AlertsPage(_props: { settings: UiSettings }) {
  return <div class="empty">Alerts: not built yet.</div>;
}
