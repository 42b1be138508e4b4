#!/usr/bin/env node
// The TypeScript SDK's `Client` (pinned in package.json) against one MCP server, for tests/test_ts_sdk.py.
//
// Input: one JSON document, as the first argument or on stdin:
//   {"transport": "stdio", "command": "...", "args": [...], "env": {...},
//    "calls": [{"name": "get_batch_run", "arguments": {...}}, ...]}
//   {"transport": "http", "url": "http://127.0.0.1:PORT/mcp", "token": "...", "calls": [...]}
// It connects, lists the tools, makes each call in order with `client.callTool` and prints one JSON
// document on stdout (see `report` below); exit code 0 whenever it got that far, 1 when it could not
// connect or list the tools (the document then has "fatal").
//
// What the SDK checks on its own (client/index.js in 1.32.2): `listTools` compiles a validator for each
// tool's `outputSchema` (Ajv 8, draft-07 class, strict: false, validateSchema: false, allErrors, formats)
// and `callTool` throws an McpError when a tool that declares an `outputSchema` returns no
// `structuredContent` without `isError`, or `structuredContent` that does not match the schema. A throw
// stops at the first problem and says little, so every result is also validated here with the same Ajv
// the SDK resolves, and the errors are reported one by one with their paths.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

const TIMEOUT_MS = 20_000;

// Ajv and ajv-formats as the SDK itself resolves them (its own dependencies, wherever npm put them).
const sdkEntry = import.meta.resolve('@modelcontextprotocol/sdk'); // .../sdk/dist/esm/index.js
const sdkRequire = createRequire(sdkEntry);
const sdkVersion = JSON.parse(readFileSync(new URL('../../package.json', sdkEntry), 'utf8')).version;
const load = async (specifier) => {
  const module = await import(pathToFileURL(sdkRequire.resolve(specifier)).href);
  const exported = module.default ?? module;
  return exported.default ?? exported;
};
const Ajv = await load('ajv');
const Ajv2019 = await load('ajv/dist/2019.js');
const Ajv2020 = await load('ajv/dist/2020.js');
const addFormats = await load('ajv-formats');
const ajvVersion = JSON.parse(readFileSync(sdkRequire.resolve('ajv/package.json'), 'utf8')).version;

/** An Ajv for the schema's own dialect: the SDK always uses draft-07, which ignores 2020-12 keywords. */
function ajvFor(schema) {
  const dialect = String(schema.$schema ?? '');
  const Class = dialect.includes('2020-12') ? Ajv2020 : dialect.includes('2019-09') ? Ajv2019 : Ajv;
  const ajv = new Class({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  return ajv;
}

/** A validator per schema: (value) => list of errors; or the reason the schema does not compile. */
function compile(schema) {
  try {
    const validate = ajvFor(schema).compile(schema);
    return {
      validate: (value) =>
        validate(value)
          ? []
          : validate.errors.map(({ instancePath, schemaPath, keyword, message, params }) => ({
              instancePath,
              schemaPath,
              keyword,
              message,
              params
            }))
    };
  } catch (error) {
    return { problem: String(error?.message ?? error) };
  }
}

function readSpec() {
  const text = process.argv[2] ?? readFileSync(0, 'utf8');
  return JSON.parse(text);
}

function transportFor(spec) {
  if (spec.transport === 'stdio') {
    // The SDK adds HOME, PATH and a few others of this process to `env`; nothing else is inherited.
    return new StdioClientTransport({ command: spec.command, args: spec.args ?? [], env: spec.env, stderr: 'pipe' });
  }
  if (spec.transport === 'http') {
    const headers = spec.token ? { Authorization: `Bearer ${spec.token}` } : {};
    return new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers } });
  }
  throw new Error(`unknown transport ${JSON.stringify(spec.transport)}`);
}

function errorOf(error) {
  return { code: error?.code ?? null, message: String(error?.message ?? error) };
}

/** The validation errors of one result, beyond what the SDK's throw says. */
function problemsOf(result, tool, validator) {
  const problems = [];
  const has = result.structuredContent !== undefined && result.structuredContent !== null;
  if (tool?.outputSchema && !has && !result.isError) {
    problems.push({ instancePath: '', keyword: 'structuredContent', message: 'missing: the tool has an outputSchema' });
  }
  if (has && validator?.validate) {
    problems.push(...validator.validate(result.structuredContent));
  }
  if (has && !tool?.outputSchema) {
    problems.push({ instancePath: '', keyword: 'outputSchema', message: 'structuredContent without an outputSchema' });
  }
  return problems;
}

/** Every `nextSteps` entry of a result checked against the named tool's inputSchema. */
function nextStepProblems(result, tools, inputValidators) {
  const steps = result.structuredContent?.nextSteps;
  if (!Array.isArray(steps)) {
    return [];
  }
  const problems = [];
  steps.forEach((step, index) => {
    const where = `/nextSteps/${index}`;
    if (!tools.has(step?.tool)) {
      problems.push({ instancePath: `${where}/tool`, message: `names no listed tool: ${JSON.stringify(step?.tool)}` });
      return;
    }
    const validator = inputValidators.get(step.tool);
    for (const error of validator.validate ? validator.validate(step.arguments) : []) {
      problems.push({ ...error, instancePath: `${where}/arguments${error.instancePath}` });
    }
  });
  return problems;
}

async function main() {
  const spec = readSpec();
  const report = { sdkVersion, ajvVersion, transport: spec.transport };
  const stderr = [];
  const transport = transportFor(spec);
  transport.stderr?.on('data', (chunk) => stderr.push(String(chunk)));
  const client = new Client({ name: 'sigma-mcp-ts-sdk-test', version: '1.0.0' }, { capabilities: {} });
  try {
    await client.connect(transport, { timeout: TIMEOUT_MS });
    report.serverVersion = client.getServerVersion();
    const { tools } = await client.listTools(undefined, { timeout: TIMEOUT_MS });
    report.tools = tools;
  } catch (error) {
    report.fatal = errorOf(error);
    report.serverStderr = stderr.join('');
    await client.close().catch(() => {});
    return report;
  }

  const byName = new Map(report.tools.map((tool) => [tool.name, tool]));
  const outputValidators = new Map();
  const inputValidators = new Map();
  report.schemaProblems = {};
  for (const tool of report.tools) {
    inputValidators.set(tool.name, compile(tool.inputSchema));
    if (tool.outputSchema) {
      outputValidators.set(tool.name, compile(tool.outputSchema));
    }
    const problems = [inputValidators.get(tool.name).problem, outputValidators.get(tool.name)?.problem];
    if (problems.some(Boolean)) {
      report.schemaProblems[tool.name] = problems.filter(Boolean);
    }
  }

  report.calls = [];
  for (const { name, arguments: args } of spec.calls ?? []) {
    const call = { name, arguments: args, result: null, sdkError: null, rawError: null, validationErrors: [] };
    let result;
    try {
      result = await client.callTool({ name, arguments: args }, undefined, { timeout: TIMEOUT_MS });
    } catch (error) {
      call.sdkError = errorOf(error);
      // What did the server actually send? The same request without the SDK's result checks.
      try {
        result = await client.request(
          { method: 'tools/call', params: { name, arguments: args } },
          CallToolResultSchema,
          { timeout: TIMEOUT_MS }
        );
      } catch (raw) {
        call.rawError = errorOf(raw);
      }
    }
    if (result) {
      const { content, structuredContent, isError } = result;
      call.result = { content, structuredContent: structuredContent ?? null, isError: isError ?? false };
      call.validationErrors = problemsOf(call.result, byName.get(name), outputValidators.get(name));
      call.nextStepErrors = nextStepProblems(call.result, byName, inputValidators);
    }
    report.calls.push(call);
  }
  const called = new Set(report.calls.map((call) => call.name));
  report.uncalledTools = report.tools.map((tool) => tool.name).filter((name) => !called.has(name));
  await client.close();
  report.serverStderr = stderr.join('');
  return report;
}

let report;
try {
  report = await main();
} catch (error) {
  report = { fatal: errorOf(error) };
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exitCode = report.fatal ? 1 : 0;
