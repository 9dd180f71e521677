// Copies the pinned htmx builds from node_modules into static/vendor, byte for byte,
// so that the app serves them itself (no CDN) and needs no Node at run time.
// The versions come from package.json / package-lock.json; `make check-generated`
// re-runs this and diffs, so the committed files always match the lockfile.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dest = join(root, "static", "vendor");

// [package, file inside the package, vendored name]
const files = [
  ["htmx.org", "dist/htmx.min.js", "htmx.min.js"],
  ["htmx-ext-sse", "dist/sse.min.js", "htmx-ext-sse.min.js"],
];

mkdirSync(dest, { recursive: true });
for (const [pkg, file, name] of files) {
  const pkgDir = join(root, "node_modules", pkg);
  const src = join(pkgDir, file);
  if (!existsSync(src)) {
    console.error(`vendor: ${src} not found; run "npm ci" first`);
    process.exit(1);
  }
  const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  copyFileSync(src, join(dest, name));
  console.log(`vendor: ${pkg}@${version} ${file} -> static/vendor/${name}`);
}
