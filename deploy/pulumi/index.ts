/**
 * `pulumi up` here deploys what `logwharf deploy kubernetes` renders: the Pulumi config
 * `logwharf:values` takes the same values (docs/deploy.md), validated by the same strict schema, e.g.
 *   pulumi config set --path 'logwharf:values.namespace' logs
 *   pulumi config set --path 'logwharf:values.server.storage_size' 100Gi
 */
import * as pulumi from '@pulumi/pulumi';
import { parseDeployValues } from '../../src/deploy/values.js';
import { createResources } from './program.js';

const config = new pulumi.Config('logwharf');
const values = parseDeployValues(config.getObject<Record<string, unknown>>('values') ?? {}, 'Pulumi config logwharf:values');
export const resources = createResources(values).map((r) => r.urn);
export const namespace = values.namespace;
