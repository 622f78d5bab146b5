/** One line per check of a suite result, and the failures: what the test prints and asserts on. */
export function summarize(out) {
  const lines = [];
  const failures = [];
  if (out.skipped) return { lines: [`browser suite skipped: ${out.skipped}`], failures };
  const r = out.result;
  if (!r.ok) {
    failures.push(`the page failed: ${r.error}`);
    return { lines, failures };
  }
  lines.push(`Chromium ${out.version}, cross-origin isolated: ${r.crossOriginIsolated}`);
  for (const rep of r.reports) {
    if (rep.skipped) {
      lines.push(`  ${rep.target}: skipped: ${rep.skipped}`);
      continue;
    }
    const bad = rep.checks.filter((c) => !c.ok);
    lines.push(`  ${rep.target} (${rep.detail}): ${rep.checks.length - bad.length}/${rep.checks.length} checks pass`);
    for (const c of rep.checks) if (c.name.startsWith("MLP")) lines.push(`    ${c.name}: ${c.detail}`);
    for (const c of bad) failures.push(`${rep.target}: ${c.name}: ${c.detail}`);
  }
  return { lines, failures };
}
