// The command Claude Desktop runs for an installed bundle: the official MCP Bundle library's getMcpConfigForManifest
// (pinned in package.json), which fills ${__dirname} and ${user_config.*} into the manifest's mcp_config.
// Usage: node mcp_config.mjs <unpacked bundle> '<user config as JSON>'; prints the config as JSON ("null" when the
// library would not start the server, e.g. a required field left empty).
import { readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";

const [extensionPath, userConfig] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(join(extensionPath, "manifest.json"), "utf8"));
const config = await getMcpConfigForManifest({
  manifest,
  extensionPath,
  systemDirs: { HOME: process.env.HOME ?? "", DESKTOP: "", DOCUMENTS: "", DOWNLOADS: "" },
  userConfig: JSON.parse(userConfig),
  pathSeparator: sep,
});
console.log(JSON.stringify(config ?? null));
