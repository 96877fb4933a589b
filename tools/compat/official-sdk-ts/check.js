#!/usr/bin/env node
// Compatibility check: Alibaba's OFFICIAL TypeScript/JavaScript SDK for ESA (@alicloud/esa20240910)
// pointed at esa-emulator. It downloads packages from npm, so it is deliberately NOT part of
// scripts/test.sh or CI; run it by hand when the emulator's wire behaviour changes.
//
// How to run (outside the repo, so node_modules never lands in the tree):
//   mkdir -p /tmp/sdkcheck && cp tools/compat/official-sdk-ts/{check.js,package.json} /tmp/sdkcheck/
//   cd /tmp/sdkcheck && npm install
//   # either let the script start the emulator (fresh in-memory state, sample data, plain HTTP):
//   ESA_EMULATOR=/path/to/build/tools/esa-emulator/esa-emulator node check.js
//   # or point it at one already running with the demo key (`--listen 127.0.0.1:0 --port-file F`):
//   node check.js <port>
// Exit status 0 when every check passes; a results table is printed either way (see
// docs/compatibility.md for the last recorded run).
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const Esa = require('@alicloud/esa20240910');
const Client = Esa.default;
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const OpenApiClient = require('@alicloud/openapi-client');

const results = [];
function record(name, ok, detail) {
  results.push({ name, ok, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}  ${detail}`);
}

async function check(name, fn) {
  try {
    const detail = await fn();
    record(name, true, detail || '');
  } catch (e) {
    const code = e && e.code ? ` code=${e.code}` : '';
    const status = e && e.statusCode ? ` status=${e.statusCode}` : '';
    record(name, false, `${(e && e.message) || e}${code}${status}`.replace(/\s+/g, ' ').slice(0, 400));
  }
}

function expect(cond, what) {
  if (!cond) throw new Error(`expectation failed: ${what}`);
}

// The SDK throws a ClientError/ResponseError; a validation check passes only when the service's Code
// reaches the caller unchanged (and the SDK did not reject the request locally first).
async function expectServiceError(call, codes, statusCode) {
  try {
    await call();
  } catch (e) {
    expect(codes.includes(e.code), `code ${JSON.stringify(e.code)} in ${JSON.stringify(codes)} (message: ${e.message})`);
    if (statusCode) expect(e.statusCode === statusCode, `statusCode ${e.statusCode} == ${statusCode}`);
    const data = e.data || {};
    expect(typeof data.RequestId === 'string' && data.RequestId.length > 0, 'error data carries RequestId');
    return `code=${e.code} status=${e.statusCode} message="${String(data.Message || e.message).slice(0, 120)}"`;
  }
  throw new Error(`expected error ${codes.join('/')}, call succeeded`);
}

function startEmulator(bin) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esa-sdkcheck-'));
  const portFile = path.join(dir, 'port');
  const child = spawn(bin, ['--listen', '127.0.0.1:0', '--port-file', portFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10000;
    const poll = () => {
      if (fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim()) {
        resolve({ child, port: Number(fs.readFileSync(portFile, 'utf8').trim()) });
      } else if (Date.now() > deadline) {
        child.kill('SIGTERM');
        reject(new Error('emulator did not write its port file within 10s'));
      } else {
        setTimeout(poll, 50);
      }
    };
    child.on('error', reject);
    poll();
  });
}

// ESA accepts ISO 8601 UTC without milliseconds for StartTime/EndTime.
function isoSeconds(d) {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function main() {
  let child = null;
  let port = Number(process.argv[2]);
  if (!port) {
    const bin = process.env.ESA_EMULATOR;
    if (!bin) {
      console.error('usage: node check.js <port>   or   ESA_EMULATOR=/path/to/esa-emulator node check.js');
      process.exit(2);
    }
    ({ child, port } = await startEmulator(bin));
  }

  const config = new $OpenApiUtil.Config({
    accessKeyId: 'demo-access-key',
    accessKeySecret: 'demo-secret',
    endpoint: `127.0.0.1:${port}`,
    protocol: 'http',
    regionId: 'cn-hangzhou',
  });
  const client = new Client(config);
  const stamp = Date.now();
  const urls = [`https://example.com/sdkcheck/${stamp}/a.js`, `https://www.example.com/sdkcheck/${stamp}/b.css`];
  let preloadIds = [];

  await check('ListSites (no filter)', async () => {
    const r = await client.listSites(new Esa.ListSitesRequest({}));
    const b = r.body;
    expect(r.statusCode === 200, 'HTTP 200');
    expect(typeof b.requestId === 'string' && b.requestId.length > 0, 'RequestId');
    expect(Array.isArray(b.sites) && b.sites.length >= 3, 'Sites has the 3 sample sites');
    expect(b.totalCount >= 3 && b.pageNumber === 1 && b.pageSize > 0, 'TotalCount/PageNumber/PageSize numbers');
    const ex = b.sites.find((s) => s.siteName === 'example.com');
    expect(ex && ex.siteId === 7001000000001, 'example.com has SiteId 7001000000001 (number)');
    return `TotalCount=${b.totalCount}, sites=${b.sites.map((s) => `${s.siteName}(${s.siteId},${s.status})`).join(' ')}`;
  });

  await check('ListSites (SiteName=shop, SiteSearchType=prefix)', async () => {
    const r = await client.listSites(new Esa.ListSitesRequest({ siteName: 'shop', siteSearchType: 'prefix' }));
    expect(r.body.sites.length === 1 && r.body.sites[0].siteName === 'shop.example.net', 'one site shop.example.net');
    return `sites=${r.body.sites.map((s) => s.siteName).join(',')}`;
  });

  await check('ListSites (TagFilter, a JSON-shrunk array)', async () => {
    const r = await client.listSites(new Esa.ListSitesRequest({
      tagFilter: [new Esa.ListSitesRequestTagFilter({ key: 'nosuchtag', value: 'x' })],
    }));
    expect(Array.isArray(r.body.sites || []), 'Sites array');
    return `TotalCount=${r.body.totalCount}`;
  });

  await check('GetSite 7001000000001', async () => {
    const r = await client.getSite(new Esa.GetSiteRequest({ siteId: 7001000000001 }));
    const m = r.body.siteModel;
    expect(m && m.siteName === 'example.com' && m.siteId === 7001000000001, 'SiteModel example.com');
    return `SiteModel: name=${m.siteName} status=${m.status} accessType=${m.accessType} coverage=${m.coverage}`;
  });

  await check('GetSite unknown SiteId -> error Code surfaced', async () =>
    expectServiceError(() => client.getSite(new Esa.GetSiteRequest({ siteId: 1 })), ['InvalidParameter', 'SiteNotFound']));

  await check('PreloadCaches (2 URLs on example.com, no SiteId)', async () => {
    const r = await client.preloadCaches(new Esa.PreloadCachesRequest({ content: urls }));
    expect(typeof r.body.taskId === 'string' && r.body.taskId.length > 0, 'TaskId string');
    preloadIds = r.body.taskId.split(',');
    expect(preloadIds.length === 2, 'two task ids joined with ","');
    return `TaskId=${r.body.taskId} RequestId=${r.body.requestId}`;
  });

  await check('PreloadCaches with SiteId and Headers map', async () => {
    const r = await client.preloadCaches(new Esa.PreloadCachesRequest({
      siteId: 7001000000001,
      content: [`https://example.com/sdkcheck/${stamp}/c.png`],
      headers: { 'Accept-Encoding': 'gzip' },
    }));
    expect(r.body.taskId && !r.body.taskId.includes(','), 'one TaskId');
    return `TaskId=${r.body.taskId}`;
  });

  await check('PreloadCaches URL of another site -> error Code surfaced', async () =>
    expectServiceError(() => client.preloadCaches(new Esa.PreloadCachesRequest({
      siteId: 7001000000001, content: ['https://not-ours.invalid/x'],
    })), ['InvalidParameter.RecordNotBelongToSite']));

  await check('DescribePreloadTasks (no filter)', async () => {
    const r = await client.describePreloadTasks(new Esa.DescribePreloadTasksRequest({}));
    const b = r.body;
    expect(Array.isArray(b.tasks) && b.tasks.length > 0, 'Tasks array');
    expect(typeof b.totalCount === 'number' && b.pageNumber === 1 && b.pageSize === 20, 'paging numbers (PageSize 20 default)');
    const t = b.tasks[0];
    expect(typeof t.taskId === 'string' && typeof t.content === 'string' && typeof t.status === 'string'
      && typeof t.process === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(t.createTime), 'task fields/types');
    for (const id of preloadIds) expect(b.tasks.some((x) => x.taskId === id), `new task ${id} listed`);
    return `TotalCount=${b.totalCount}, first={TaskId:${t.taskId},Status:${t.status},Process:${t.process},CreateTime:${t.createTime}}`;
  });

  await check('DescribePreloadTasks (Status=Refreshing, StartTime/EndTime = last hour)', async () => {
    const now = new Date();
    const r = await client.describePreloadTasks(new Esa.DescribePreloadTasksRequest({
      status: 'Refreshing',
      startTime: isoSeconds(new Date(now.getTime() - 3600e3)),
      endTime: isoSeconds(new Date(now.getTime() + 60e3)),
      pageSize: 50,
    }));
    const b = r.body;
    expect(b.tasks.every((t) => t.status === 'Refreshing'), 'all Refreshing');
    for (const id of preloadIds) expect(b.tasks.some((x) => x.taskId === id), `new task ${id} listed`);
    return `TotalCount=${b.totalCount}, statuses=${[...new Set(b.tasks.map((t) => t.status))].join(',')}`;
  });

  await check('DescribePreloadTasks (Content exact + SiteId + PageSize=1)', async () => {
    const r = await client.describePreloadTasks(new Esa.DescribePreloadTasksRequest({
      siteId: 7001000000001, content: urls[0], pageSize: 1, pageNumber: 1,
    }));
    const b = r.body;
    expect(b.totalCount === 1 && b.tasks.length === 1 && b.tasks[0].content === urls[0], 'exactly the first URL');
    return `TotalCount=${b.totalCount} TaskId=${b.tasks[0].taskId}`;
  });

  await check('DescribePreloadTasks PageSize=51 -> InvalidParameter', async () =>
    expectServiceError(() => client.describePreloadTasks(new Esa.DescribePreloadTasksRequest({ pageSize: 51 })),
      ['InvalidParameter'], 400));

  await check('DescribePreloadTasks StartTime without EndTime -> MissingTimeParameter', async () =>
    expectServiceError(() => client.describePreloadTasks(new Esa.DescribePreloadTasksRequest({
      startTime: isoSeconds(new Date(Date.now() - 3600e3)),
    })), ['MissingTimeParameter'], 400));

  await check('DescribePreloadTasks Status=Bogus -> InvalidParameter', async () =>
    expectServiceError(() => client.describePreloadTasks(new Esa.DescribePreloadTasksRequest({ status: 'Bogus' })),
      ['InvalidParameter'], 400));

  let purgeIds = [];
  await check('PurgeCaches (Type=file, 2 URLs)', async () => {
    const r = await client.purgeCaches(new Esa.PurgeCachesRequest({
      siteId: 7001000000001, type: 'file', content: new Esa.PurgeCachesRequestContent({ files: urls }),
    }));
    expect(typeof r.body.taskId === 'string' && r.body.taskId.length > 0, 'TaskId string');
    purgeIds = r.body.taskId.split(',');
    return `TaskId=${r.body.taskId}`;
  });

  await check('PurgeCaches (Type=purgeall)', async () => {
    const r = await client.purgeCaches(new Esa.PurgeCachesRequest({
      siteId: 7001000000001, type: 'purgeall', content: new Esa.PurgeCachesRequestContent({ purgeAll: true }),
    }));
    expect(typeof r.body.taskId === 'string' && r.body.taskId.length > 0, 'TaskId string');
    return `TaskId=${r.body.taskId}`;
  });

  await check('DescribePurgeTasks (SiteId, Type=file)', async () => {
    const r = await client.describePurgeTasks(new Esa.DescribePurgeTasksRequest({ siteId: 7001000000001, type: 'file' }));
    const b = r.body;
    expect(Array.isArray(b.tasks) && b.tasks.every((t) => t.type === 'file'), 'only file tasks');
    for (const id of purgeIds) expect(b.tasks.some((x) => x.taskId === id), `purge task ${id} listed`);
    const t = b.tasks.find((x) => x.taskId === purgeIds[0]);
    return `TotalCount=${b.totalCount}, new={TaskId:${t.taskId},Type:${t.type},Status:${t.status},Process:${t.process},Content:${t.content}}`;
  });

  await check('DescribePurgeTasks (Status + StartTime/EndTime)', async () => {
    const now = new Date();
    const r = await client.describePurgeTasks(new Esa.DescribePurgeTasksRequest({
      status: 'Refreshing',
      startTime: isoSeconds(new Date(now.getTime() - 3600e3)),
      endTime: isoSeconds(new Date(now.getTime() + 60e3)),
    }));
    const b = r.body;
    expect(b.tasks.every((t) => t.status === 'Refreshing'), 'all Refreshing');
    for (const id of purgeIds) expect(b.tasks.some((x) => x.taskId === id), `purge task ${id} listed`);
    return `TotalCount=${b.totalCount}`;
  });

  await check('DescribePurgeTasks EndTime without StartTime -> MissingTimeParameter', async () =>
    expectServiceError(() => client.describePurgeTasks(new Esa.DescribePurgeTasksRequest({
      endTime: isoSeconds(new Date()),
    })), ['MissingTimeParameter'], 400));

  await check('Wrong secret -> SignatureDoesNotMatch', async () => {
    const bad = new Client(new $OpenApiUtil.Config({
      accessKeyId: 'demo-access-key', accessKeySecret: 'not-the-secret',
      endpoint: `127.0.0.1:${port}`, protocol: 'http', regionId: 'cn-hangzhou',
    }));
    return expectServiceError(() => bad.listSites(new Esa.ListSitesRequest({})), ['SignatureDoesNotMatch']);
  });

  await check('Client built from @alicloud/openapi-client Config (older docs)', async () => {
    const legacy = new Client(new OpenApiClient.Config({
      accessKeyId: 'demo-access-key', accessKeySecret: 'demo-secret',
      endpoint: `127.0.0.1:${port}`, protocol: 'http', regionId: 'cn-hangzhou',
    }));
    const r = await legacy.getSite(new Esa.GetSiteRequest({ siteId: 7001000000002 }));
    expect(r.body.siteModel && r.body.siteModel.siteName === 'shop.example.net', 'shop.example.net');
    return `SiteModel.siteName=${r.body.siteModel.siteName}`;
  });

  if (child) child.kill('SIGTERM');
  const failed = results.filter((r) => !r.ok).length;
  console.log(`\n${results.length - failed}/${results.length} checks passed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
