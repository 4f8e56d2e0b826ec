import type { UiSettings } from '../../lib/settings.js';

export function OverviewPage(_props: { settings: UiSettings }) {
  return <div class="empty">Overview: not built yet.</div>;
}
