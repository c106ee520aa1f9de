#!/usr/bin/env node
// Makes @tensorflow/tfjs-node's native backend work after `npm ci`.
//
// package.json disables tfjs-node's own install script (`allowScripts`) because on an
// air-gapped runner it downloads libtensorflow from Google storage and fails. This
// script runs instead, as the project's postinstall:
//   1. a binding that already loads is kept;
//   2. otherwise the package's own install is tried (works with internet);
//   3. otherwise libtensorflow is taken from the tensorflow-cpu wheel that pip fetches
//      from the configured (local) index, and the binding is built from source against it.
// It ends by loading the backend in a child process and exits non-zero if that fails, so
// a broken native backend is an install error, not a silent pure-JS slowdown later.
//
// Environment:
//   MANGO_TFJS_PACKAGE         the binding to make work (default @tensorflow/tfjs-node; the GPU
//                              runner sets @tensorflow/tfjs-node-gpu, see README "GPU runner")
//   MANGO_TFJS_WHEEL_NAME      the pip package whose libtensorflow is used (default tensorflow-cpu
//                              for the CPU binding, tensorflow, a CUDA build, for the GPU one)
//   MANGO_TFJS_WHEEL           path of such a wheel to use (skips pip)
//   MANGO_TFJS_WHEEL_VERSION   its version to fetch with pip (default 2.21.0)
//   MANGO_TFJS_SKIP_ONLINE=1   skip step 2 (go straight to the wheel)
//   MANGO_TFJS_SKIP_NATIVE=1   do nothing (e.g. a machine that never trains)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const log = (msg) => console.log(`[tfjs-native] ${msg}`);

if (process.env.MANGO_TFJS_SKIP_NATIVE === "1") {
  log(
    "MANGO_TFJS_SKIP_NATIVE=1: not building the native TensorFlow.js backend; training will refuse to run.",
  );
  process.exit(0);
}

const pkg = process.env.MANGO_TFJS_PACKAGE || "@tensorflow/tfjs-node";
const wheelName =
  process.env.MANGO_TFJS_WHEEL_NAME || (pkg.endsWith("-gpu") ? "tensorflow" : "tensorflow-cpu");
const wheelPrefix = wheelName.replace(/-/g, "_");
let pkgDir;
try {
  pkgDir = dirname(require.resolve(`${pkg}/package.json`));
} catch {
  log(`${pkg} is not installed (omitted dependency?); nothing to build.`);
  process.exit(0);
}

/** Loads tfjs-node in a fresh process and reports the backend it selected. */
function probeBackend() {
  const probe = spawnSync(
    process.execPath,
    [
      "-e",
      `const tf=require(${JSON.stringify(pkg)});tf.tensor([1,2]).square().dataSync();process.stdout.write(tf.getBackend())`,
    ],
    { cwd: pkgDir, encoding: "utf8", env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" } },
  );
  return probe.status === 0 && probe.stdout.trim() === "tensorflow"
    ? { ok: true }
    : {
        ok: false,
        detail: (probe.stderr || probe.stdout || "").trim().split("\n").slice(-3).join(" | "),
      };
}

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit", cwd: pkgDir, ...opts });
}

function tryOnlineInstall() {
  if (process.env.MANGO_TFJS_SKIP_ONLINE === "1") return false;
  log("trying tfjs-node's own install (downloads libtensorflow; needs internet)...");
  const res = spawnSync(process.execPath, ["scripts/install.js"], {
    cwd: pkgDir,
    stdio: "inherit",
    timeout: 10 * 60_000,
  });
  return res.status === 0;
}

function findPython() {
  for (const py of ["python3", "python"]) {
    if (spawnSync(py, ["--version"]).status === 0) return py;
  }
  throw new Error(
    "no python3 found: it is needed to fetch and unpack the tensorflow-cpu wheel (apt-get install python3 python3-pip)",
  );
}

function fetchWheel(py) {
  if (process.env.MANGO_TFJS_WHEEL) return process.env.MANGO_TFJS_WHEEL;
  const version = process.env.MANGO_TFJS_WHEEL_VERSION ?? "2.21.0";
  const cacheDir = join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"),
    "mango-mlops",
    "wheels",
  );
  mkdirSync(cacheDir, { recursive: true });
  const cached = readdirSync(cacheDir).find(
    (f) => f.startsWith(`${wheelPrefix}-${version}-`) && f.endsWith(".whl"),
  );
  if (cached) return join(cacheDir, cached);
  run(py, [
    "-m",
    "pip",
    "download",
    "--no-deps",
    "--only-binary=:all:",
    "-d",
    cacheDir,
    `${wheelName}==${version}`,
  ]);
  const got = readdirSync(cacheDir).find(
    (f) => f.startsWith(`${wheelPrefix}-${version}-`) && f.endsWith(".whl"),
  );
  if (!got) throw new Error(`pip did not leave a ${wheelPrefix}-${version} wheel in ${cacheDir}`);
  return join(cacheDir, got);
}

// Unpacks only what the binding needs: the two shared libraries and the C API headers.
const UNPACK_PY = `
import sys, zipfile, os
whl, deps = sys.argv[1], sys.argv[2]
libs = {"tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"}
inc = ("tensorflow/include/tensorflow/c/", "tensorflow/include/tensorflow/core/platform/",
       "tensorflow/include/tsl/", "tensorflow/include/xla/tsl/")
n = 0
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.endswith("/"):
            continue
        if name in libs:
            dest = os.path.join(deps, "lib", os.path.basename(name))
        elif name.startswith(inc):
            dest = os.path.join(deps, "include", name[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(name) as src, open(dest, "wb") as out:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                out.write(chunk)
        n += 1
print(n)
`;

function buildFromWheel() {
  const py = findPython();
  const wheel = fetchWheel(py);
  const deps = join(pkgDir, "deps");
  rmSync(deps, { recursive: true, force: true });
  log(`unpacking libtensorflow from ${wheel}`);
  execFileSync(py, ["-c", UNPACK_PY, wheel, deps], { stdio: ["ignore", "inherit", "inherit"] });
  const lib = join(deps, "lib");
  if (!existsSync(join(lib, "libtensorflow_cc.so.2")))
    throw new Error(`${wheel} has no tensorflow/libtensorflow_cc.so.2`);
  symlinkSync("libtensorflow_cc.so.2", join(lib, "libtensorflow.so"));
  symlinkSync("libtensorflow_framework.so.2", join(lib, "libtensorflow_framework.so"));
  // tfjs-node's loader looks for the versioned name it was released with.
  symlinkSync("libtensorflow_cc.so.2", join(lib, "libtensorflow.so.2.9.1"));
  symlinkSync("libtensorflow_framework.so.2", join(lib, "libtensorflow_framework.so.2.9.1"));
  const preGyp = require.resolve("@mapbox/node-pre-gyp/bin/node-pre-gyp", { paths: [pkgDir] });
  const env = { ...process.env };
  // Build against the headers of the running Node instead of downloading them.
  if (!env.npm_config_nodedir) {
    const prefix = dirname(dirname(process.execPath));
    if (existsSync(join(prefix, "include", "node", "node_api.h"))) env.npm_config_nodedir = prefix;
  }
  run(process.execPath, [preGyp, "install", "--build-from-source"], { env });
}

const already = probeBackend();
if (already.ok) {
  log(`native backend ${pkg} already loads (tensorflow).`);
  process.exit(0);
}

if (tryOnlineInstall() && probeBackend().ok) {
  log(`native backend installed by ${pkg}'s own install.`);
  process.exit(0);
}

log(`falling back to the offline build of ${pkg} from the ${wheelName} wheel.`);
try {
  buildFromWheel();
} catch (err) {
  console.error(`[tfjs-native] offline build failed: ${err.message}`);
  console.error(
    `[tfjs-native] Fix: make \`pip download ${wheelName}\` work (a wheel mirror), or set MANGO_TFJS_WHEEL to a local ${wheelName} wheel, then rerun \`npm rebuild\` or \`node scripts/install-tfjs-native.mjs\`.`,
  );
  process.exit(1);
}
const after = probeBackend();
if (!after.ok) {
  console.error(`[tfjs-native] the binding was built but does not load: ${after.detail}`);
  process.exit(1);
}
log(`native backend ${pkg} built from the ${wheelName} wheel and loads (tensorflow).`);
