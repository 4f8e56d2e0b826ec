import type { UiSettings } from '../../lib/settings.js';

export function SourcesPage(_props: { settings: UiSettings }) {
  return <div class="empty">Sources: not built yet.</div>;
}
