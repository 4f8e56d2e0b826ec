/** The only place that reads process.env (see docs/configuration.md for every variable). */
export function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}
