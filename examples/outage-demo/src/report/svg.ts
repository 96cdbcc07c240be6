/** A line of a chart: y values at x (ms). */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** Draw as a filled area instead of a line. */
  readonly area?: boolean;
}

/** A background band (a phase). */
export interface Band {
  readonly x0: number;
  readonly x1: number;
  readonly label: string;
  readonly faulty: boolean;
}

/** A coloured segment of the state strip under the plot (breaker state). */
export interface StripSegment {
  readonly x0: number;
  readonly x1: number;
  readonly color: string;
  readonly title: string;
}

/** What {@link lineChart} draws. */
export interface ChartSpec {
  readonly title: string;
  readonly xMax: number;
  readonly series: readonly Series[];
  readonly bands: readonly Band[];
  readonly strip?: readonly StripSegment[];
  readonly stripLabel?: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
}

/** Escapes text for HTML and SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f = (n: number): string => (Math.round(n * 10) / 10).toString();

/** A "nice" upper bound for an axis: 1, 2, 5 × 10^n. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/**
 * A self-contained SVG line chart: phases as background bands, one polyline (or area) per series,
 * an optional state strip under the plot, axes with a few ticks, and a legend.
 */
export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 900;
  const H = spec.height ?? 220;
  const left = 48;
  const right = 12;
  const top = 28;
  const stripH = spec.strip === undefined ? 0 : 14;
  const bottom = 34 + stripH;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const yMax = niceMax(Math.max(0, ...spec.series.flatMap((s) => s.points.map((p) => p[1]))));
  const x = (ms: number): number => left + (pw * Math.min(ms, spec.xMax)) / spec.xMax;
  const y = (v: number): number => top + ph - (ph * v) / yMax;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">`,
  );
  out.push(`<text x="${left}" y="16" class="t">${esc(spec.title)}</text>`);
  for (const b of spec.bands) {
    out.push(
      `<rect x="${f(x(b.x0))}" y="${top}" width="${f(Math.max(0, x(b.x1) - x(b.x0)))}" height="${ph}" fill="${b.faulty ? '#fde8e8' : '#f3f7f3'}"><title>${esc(b.label)}</title></rect>`,
    );
    if (b.x0 > 0)
      out.push(`<line x1="${f(x(b.x0))}" x2="${f(x(b.x0))}" y1="${top}" y2="${top + ph}" class="sep"/>`);
    out.push(`<text x="${f(x(b.x0) + 3)}" y="${top + 11}" class="b">${esc(b.label)}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${f(y(v))}" y2="${f(y(v))}" class="g"/>`);
    out.push(`<text x="${left - 4}" y="${f(y(v) + 3)}" class="a" text-anchor="end">${f(v)}</text>`);
  }
  const step = niceMax(spec.xMax / 8 / 1000) * 1000;
  for (let t = 0; t <= spec.xMax; t += step) {
    out.push(
      `<text x="${f(x(t))}" y="${H - bottom + 12 + stripH}" class="a" text-anchor="middle">${f(t / 1000)}s</text>`,
    );
  }
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const pts = s.points.map(([px, py]) => `${f(x(px))},${f(y(py))}`).join(' ');
    if (s.area === true) {
      const first = s.points[0]!;
      const last = s.points[s.points.length - 1]!;
      out.push(
        `<polygon points="${f(x(first[0]))},${f(y(0))} ${pts} ${f(x(last[0]))},${f(y(0))}" fill="${s.color}" fill-opacity="0.25" stroke="none"/>`,
      );
    } else {
      out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    }
  }
  out.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" class="frame"/>`);
  if (spec.strip !== undefined) {
    const sy = top + ph + 4;
    for (const seg of spec.strip) {
      out.push(
        `<rect x="${f(x(seg.x0))}" y="${sy}" width="${f(Math.max(0.5, x(seg.x1) - x(seg.x0)))}" height="${stripH - 4}" fill="${seg.color}"><title>${esc(seg.title)}</title></rect>`,
      );
    }
    if (spec.stripLabel !== undefined)
      out.push(
        `<text x="${left - 4}" y="${sy + 8}" class="a" text-anchor="end">${esc(spec.stripLabel)}</text>`,
      );
  }
  out.push(
    `<text x="12" y="${top + ph / 2}" class="a" transform="rotate(-90 12 ${top + ph / 2})" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  // Legend, right-aligned above the plot.
  let lx = W - right;
  for (const s of [...spec.series].reverse()) {
    lx -= 22 + s.label.length * 5.6;
    out.push(
      `<rect x="${f(lx)}" y="8" width="10" height="10" fill="${s.color}"${s.area === true ? ' fill-opacity="0.5"' : ''}/>`,
    );
    out.push(`<text x="${f(lx + 14)}" y="17" class="a">${esc(s.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('');
}
