const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/**
 * Human file size with three significant digits, as the seed documents show it
 * (`209 B`, `819 KB` for 838,452 bytes, `1.53 MB`).
 */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = unit === 0 ? Math.round(value) : Number(value.toPrecision(3));
  return `${rounded} ${UNITS[unit]}`;
}
