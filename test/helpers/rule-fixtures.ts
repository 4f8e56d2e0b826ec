/**
 * Rule groups the rules CLI tests share, as list items of a rule file's `groups:` (indented by two),
 * so a test writes `groups:\n` + one or both.
 */

/** An alerting rule group: `errors`, interval 30s, HighErrors with for 5m. */
export const ERRORS_GROUP_YAML = `  - name: errors
    interval: 30s
    rules:
      - alert: HighErrors
        expr: sum by (job) (count_over_time({job="api"} |= "error" [5m])) > 5
        for: 5m
        labels:
          severity: page
`;

/** A recording rule group: `volume`, job:lines:rate1m. */
export const VOLUME_GROUP_YAML = `  - name: volume
    rules:
      - record: job:lines:rate1m
        expr: sum by (job) (rate({job="api"}[1m]))
`;
