/** Where the defaults of each path are checked in (scripts/render-deploy.ts, `npm run deploy:render`). */
import type { DeployTarget } from './render.js';

export const DEPLOY_DIRS: Record<DeployTarget, string> = { kubernetes: 'deploy/k8s', compose: 'deploy/compose', grafana: 'deploy/grafana' };
