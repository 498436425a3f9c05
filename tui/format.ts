/** Text for the terminal: sizes, rates, durations, sparklines and shades. Pure. */

const byteUnits = ["B", "kB", "MB", "GB", "TB"] as const;

/** 1234567 → "1.2 MB" (SI, as link speeds are quoted). */
export function formatBytes(bytes: number): string {
  let v = Math.max(0, bytes);
  let u = 0;
  while (v >= 1000 && u < byteUnits.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${byteUnits[u]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** 83_456 → "01:23.4"; an hour or more → "1:02:03". */
export function formatDuration(ms: number): string {
  const totalTenths = Math.floor(Math.max(0, ms) / 100);
  const tenths = totalTenths % 10;
  const s = Math.floor(totalTenths / 10) % 60;
  const m = Math.floor(totalTenths / 600) % 60;
  const h = Math.floor(totalTenths / 36000);
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}.${tenths}`;
}

/** 0.9123 → "91%". */
export function formatPct(fraction: number): string {
  return `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
}

const sparkBars = "▁▂▃▄▅▆▇█";

/** One bar per value, scaled between the series' min and max (a flat series sits mid-height). */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return "";
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values
    .map((v) => {
      if (hi === lo) return sparkBars[3];
      return sparkBars[Math.round(((v - lo) / (hi - lo)) * (sparkBars.length - 1))];
    })
    .join("");
}

/** Availability shades, from none to everywhere: rare pieces read light, common ones solid. */
export const shades = ["·", "░", "▒", "▓", "█"] as const;

/** 0 → "·" (nobody), under ⅓ → "░", under ⅔ → "▒", under 1 → "▓", 1 → "█" (everyone). */
export function shade(availability: number): string {
  if (!(availability > 0)) return shades[0];
  if (availability >= 1) return shades[4];
  return shades[Math.min(3, 1 + Math.floor(availability * 3))]!;
}

/** Pads or cuts `text` to exactly `width` columns (cut text ends with "…"). */
export function cell(text: string, width: number, align: "left" | "right" = "left"): string {
  if (text.length > width) return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
  return align === "left" ? text.padEnd(width) : text.padStart(width);
}
