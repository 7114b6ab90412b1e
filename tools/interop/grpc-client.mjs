// A gRPC client built on @grpc/grpc-js + @grpc/proto-loader, the peer our gRPC server is tested against
// (DESIGN §1, docs/grpc.md). It loads the .proto files from proto/, makes the calls described by a JSON request on
// stdin (or in the file named by the first argument), and prints one JSON document.
//
// Request: one call object or {"calls": [call, ...]} (made in order):
//   address       "127.0.0.1:50051"
//   tls           optional {"rootCert": "ca.pem", "serverName": "localhost"}: TLS instead of h2c
//   service       "fhirrisk.v1.RiskService" | "grpc.health.v1.Health"   with  method: Predict, PredictStream, Explain,
//                 Embed, Generate, Ingest | Check, List, Watch
//   path          instead of service/method: a raw unary call to this path with an empty request message
//   request       the request message as JSON (proto-loader object form: field names as in the .proto, enums as
//                 names, bytes as base64, int64 as strings)
//   deadlineMs    optional deadline, relative to the start of the call
//   connectFirst  optional true: wait (up to 30 s) until the channel is connected before the call starts, so a
//                 deadline covers the call alone, not the start of a fresh process's connection
//   cancelAfter   optional: a server-streaming call is cancelled by the client after this many messages
//   compression   optional "gzip" | "deflate": compress request messages (grpc.default_compression_algorithm)
//   metadata      optional {"key": "value"} request metadata
//   channelOptions optional grpc-js channel options
// Result, per call: {"status": {"code", "name", "details"}, "messages": [...], "elapsedMs", "firstMessageMs"}.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
const protoRoot = path.resolve(here, '../../proto');
const protoFiles = ['fhirrisk/v1/risk_service.proto', 'grpc/health/v1/health.proto'];
const objectForm = { keepCase: true, longs: String, enums: String, bytes: String, defaults: false, oneofs: true };

const definition = protoLoader.loadSync(protoFiles, { ...objectForm, includeDirs: [protoRoot] });
const loaded = grpc.loadPackageDefinition(definition);
const statusNames = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));
const compressionAlgorithms = { identity: 0, deflate: 1, gzip: 2 };

function serviceConstructor(fullName) {
  const ctor = fullName.split('.').reduce((node, part) => node?.[part], loaded);
  if (typeof ctor !== 'function') throw new Error(`unknown service ${fullName}`);
  return ctor;
}

function credentials(tls) {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(fs.readFileSync(tls.rootCert));
}

function channelOptions(call) {
  const options = { ...(call.channelOptions ?? {}) };
  if (call.compression) options['grpc.default_compression_algorithm'] = compressionAlgorithms[call.compression];
  if (call.tls?.serverName) options['grpc.ssl_target_name_override'] = call.tls.serverName;
  return options;
}

function metadataOf(call) {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(call.metadata ?? {})) metadata.set(key, value);
  return metadata;
}

function callOptions(call) {
  return call.deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + call.deadlineMs) };
}

function statusOf(error) {
  const code = error ? error.code : grpc.status.OK;
  return { code, name: statusNames[code] ?? String(code), details: error ? error.details : '' };
}

function makeCall(call) {
  let started = performance.now();
  const result = { messages: [] };
  const finish = (resolve, error) => {
    result.status = statusOf(error);
    result.elapsedMs = Math.round(performance.now() - started);
    resolve(result);
  };
  const note = (message) => {
    if (result.messages.length === 0) result.firstMessageMs = Math.round(performance.now() - started);
    result.messages.push(message);
  };

  if (call.path) {
    const client = new grpc.Client(call.address, credentials(call.tls), channelOptions(call));
    return connected(client, call).then(() => new Promise((resolve) => {
      started = performance.now();
      client.makeUnaryRequest(call.path, (x) => x, (x) => x, Buffer.alloc(0), metadataOf(call), callOptions(call),
        (error, response) => {
          if (response) note({ bytes: response.length });
          client.close();
          finish(resolve, error);
        });
    }));
  }

  const Service = serviceConstructor(call.service);
  const client = new Service(call.address, credentials(call.tls), channelOptions(call));
  const method = Service.service[call.method];
  if (!method) throw new Error(`unknown method ${call.service}/${call.method}`);
  const request = call.request ?? {};
  return connected(client, call).then(() => new Promise((resolve) => {
    started = performance.now();
    if (!method.responseStream) {
      client[call.method](request, metadataOf(call), callOptions(call), (error, response) => {
        if (response) note(response);
        client.close();
        finish(resolve, error);
      });
      return;
    }
    const stream = client[call.method](request, metadataOf(call), callOptions(call));
    let ended = false;
    const end = (error) => {
      if (ended) return;
      ended = true;
      client.close();
      finish(resolve, error);
    };
    stream.on('data', (message) => {
      note(message);
      if (call.cancelAfter !== undefined && result.messages.length >= call.cancelAfter) stream.cancel();
    });
    stream.on('error', (error) => end(error));
    stream.on('status', (status) => { if (status.code === grpc.status.OK) end(null); });
  }));
}

function connected(client, call) {
  if (!call.connectFirst) return Promise.resolve();
  return new Promise((resolve, reject) => {
    client.waitForReady(new Date(Date.now() + 30_000), (error) => (error ? reject(error) : resolve()));
  });
}

const input = fs.readFileSync(process.argv[2] ?? 0, 'utf8');
const parsed = JSON.parse(input);
if (Array.isArray(parsed.calls)) {
  const results = [];
  for (const call of parsed.calls) results.push(await makeCall(call));
  process.stdout.write(JSON.stringify({ results }) + '\n');
} else {
  process.stdout.write(JSON.stringify(await makeCall(parsed)) + '\n');
}
