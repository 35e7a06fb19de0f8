// Average rank as the paper's Tables 1–2 report it: rank the methods on each metric (1 = best; tied
// values share the mean of the ranks they span), then average each method's ranks over the metrics.
// Pure functions, no I/O.

/**
 * Fractional ("1 2.5 2.5 4") ranking of `values`; 1 goes to the best value. `higherIsBetter` says
 * which end is best. Equal values share the mean of the positions they occupy.
 */
export function fractionalRanks(values: number[], higherIsBetter = true): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => (higherIsBetter ? b.v - a.v : a.v - b.v));
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1].v === order[start].v) end++;
    // positions start..end (0-based) are ranks start+1..end+1; each gets their mean
    const shared = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k].i] = shared;
    start = end + 1;
  }
  return ranks;
}

/**
 * Average rank of each row over the metric columns. `table[row][metric]` holds the values;
 * `higherIsBetter[metric]` says which direction wins (accuracy, precision, recall, F1: higher).
 */
export function averageRanks(table: number[][], higherIsBetter: boolean[]): number[] {
  if (table.length === 0) return [];
  const metrics = higherIsBetter.length;
  for (const row of table) {
    if (row.length !== metrics) throw new Error(`averageRanks: a row has ${row.length} values for ${metrics} metrics`);
  }
  const sums = new Array<number>(table.length).fill(0);
  for (let m = 0; m < metrics; m++) {
    const ranks = fractionalRanks(
      table.map((row) => row[m]),
      higherIsBetter[m],
    );
    ranks.forEach((r, i) => (sums[i] += r));
  }
  return sums.map((s) => s / metrics);
}
