// Push fixture images into the mirror registry under Docker Hub names (library/<repo>:<tag>).
//
// `docker push` would do the same, but Engine 20.10 gzips every layer first: ~60 s for the fixtures
// on 2 cores (gzip -1 still takes ~25 s). Here the layers of a `docker save` go up uncompressed
// (media type ...rootfs.diff.tar, which engines pull like any other), so a blob's digest is the
// layer's diff id from the image config and nothing is hashed or compressed on our side; manifests
// are then a pure function of the image and re-pushing one uploads nothing.
//
// usage: node push-mirror.mjs REGISTRY WORKDIR "name alias..." ...
//   The first name of each argument is an image in the engine; all of them become tags in the mirror.
// Uses only node's standard library: it runs before `npm ci` may have.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';

const [registry, workdir, ...groups] = process.argv.slice(2);
if (!registry || !workdir || groups.length === 0) {
  console.error('usage: node push-mirror.mjs REGISTRY WORKDIR "name alias..." ...');
  process.exit(2);
}

const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_V1 = 'application/vnd.docker.container.image.v1+json';
const LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

/** `docker save A B | tar -x -C dir` */
async function saveImages(names, dir) {
  await mkdir(dir, { recursive: true });
  await run('bash', ['-o', 'pipefail', '-c', 'docker save "${@:2}" | tar -x -C "$1"', 'save', dir, ...names]);
}

function request(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

function expect(res, ok, what) {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return res;
}

const base = `http://${registry}`;

// Blobs this run has put in some repository: another repository mounts them instead of uploading.
const uploaded = new Map();

async function uploadBlob(repo, blob) {
  const head = await request('HEAD', `${base}/v2/${repo}/blobs/${blob.digest}`);
  if (head.status === 200) return;
  const from = uploaded.get(blob.digest);
  const start = expect(
    await request('POST', `${base}/v2/${repo}/blobs/uploads/${from ? `?mount=${blob.digest}&from=${from}` : ''}`),
    [201, 202],
    `start upload to ${repo}`,
  );
  if (start.status === 201) return; // mounted
  const location = new URL(start.headers.location, base);
  location.searchParams.set('digest', blob.digest);
  const body = blob.path ? createReadStream(blob.path) : blob.data;
  expect(
    await request('PUT', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body,
    }),
    [201],
    `upload ${blob.digest} to ${repo}`,
  );
  uploaded.set(blob.digest, repo);
}

async function limit(items, n, fn) {
  const queue = [...items];
  await Promise.all(Array.from({ length: n }, async () => { while (queue.length) await fn(queue.shift()); }));
}

async function main() {
  const saveDir = join(workdir, 'save');
  await rm(workdir, { recursive: true, force: true });
  const images = groups.map((g) => g.trim().split(/\s+/));
  await saveImages(images.map((names) => names[0]), saveDir);

  // docker save writes one manifest entry per saved image, RepoTags naming it.
  const saved = JSON.parse(await readFile(join(saveDir, 'manifest.json'), 'utf8'));
  const entryFor = (name) => saved.find((e) => (e.RepoTags ?? []).includes(name));

  for (const names of images) {
    const entry = entryFor(names[0]);
    if (!entry) throw new Error(`docker save did not return ${names[0]}`);
    const configData = await readFile(join(saveDir, entry.Config));
    const config = { data: configData, digest: `sha256:${createHash('sha256').update(configData).digest('hex')}`, size: configData.length };
    const diffIds = JSON.parse(configData.toString()).rootfs.diff_ids;
    const layers = await Promise.all(
      entry.Layers.map(async (f, i) => ({ path: join(saveDir, f), digest: diffIds[i], size: (await stat(join(saveDir, f))).size })),
    );
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_V2,
      config: { mediaType: CONFIG_V1, size: config.size, digest: config.digest },
      layers: layers.map((l) => ({ mediaType: LAYER_TAR, size: l.size, digest: l.digest })),
    });
    const byRepo = new Map();
    for (const name of names) {
      const i = name.lastIndexOf(':');
      const repo = name.slice(0, i);
      const tag = name.slice(i + 1);
      const full = repo.includes('/') ? repo : `library/${repo}`;
      byRepo.set(full, [...(byRepo.get(full) ?? []), tag]);
    }
    for (const [repo, tags] of byRepo) {
      await limit([config, ...layers], 4, (blob) => uploadBlob(repo, blob));
      for (const tag of tags) {
        expect(
          await request('PUT', `${base}/v2/${repo}/manifests/${tag}`, { headers: { 'content-type': MANIFEST_V2 }, body: manifest }),
          [201],
          `put manifest ${repo}:${tag}`,
        );
      }
      console.log(`pushed ${repo}: ${tags.join(' ')}`);
    }
  }
  await rm(workdir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(`push-mirror: ${err.message}`);
  process.exit(1);
});
