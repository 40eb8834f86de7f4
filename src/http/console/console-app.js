// tansu's read-only console: a hash-routed page over the JSON endpoints under /ui/api/.
// Everything from the broker is put into the page as text nodes, never parsed as HTML.
"use strict";

const view = document.getElementById("view");
const GROUP_REFRESH_MS = 3000;
let refreshTimer = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function table(headers, rows, numeric = []) {
  return el(
    "table",
    null,
    el("thead", null, el("tr", null, headers.map((h) => el("th", { class: numeric.includes(h) ? "num" : null }, h)))),
    el("tbody", null, rows.length === 0 ? el("tr", null, el("td", { colspan: headers.length, class: "muted" }, "none")) : rows),
  );
}

function row(cells, numericIndexes = []) {
  return el("tr", null, cells.map((c, i) => el("td", { class: numericIndexes.includes(i) ? "num" : null }, c)));
}

function link(href, text) {
  return el("a", { href }, text);
}

const enc = encodeURIComponent;

async function api(path) {
  const response = await fetch(`api/${path}`, { headers: { accept: "application/json" } });
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

function show(...nodes) {
  view.replaceChildren(...nodes.flat());
}

function showError(error) {
  show(el("div", { class: "error" }, `Could not load: ${error.message}`));
}

function rendered(r) {
  if (r === null) return el("span", { class: "muted" }, "null");
  return el("div", null, el("span", { class: "tag" }, r.encoding), el("pre", null, r.text));
}

// What the broker withholds from this user (configs without DescribeConfigs rights).
function notAuthorized() {
  return el("span", { class: "muted" }, "not authorized");
}

function lagCell(lag) {
  return el("span", { class: Number(lag) > 0 ? "lag behind" : "lag" }, lag);
}

async function cluster() {
  const c = await api("cluster");
  const brokers = c.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(", ");
  document.getElementById("cluster").textContent = `cluster ${c.clusterId} · tansu ${c.version} · storage ${c.storage} · broker ${brokers}`;
}

async function home() {
  const [topics, groups] = await Promise.all([api("topics"), api("groups")]);
  show(
    el("h1", null, "Overview"),
    el("h2", null, `Topics (${topics.length})`),
    table(
      ["topic", "partitions", "explicit configs", "id"],
      topics.map((t) => row([link(`#/topics/${enc(t.name)}`, t.name), t.partitions, t.configs === null ? notAuthorized() : Object.keys(t.configs).length, el("span", { class: "muted" }, t.id)], [1, 2])),
      ["partitions", "explicit configs"],
    ),
    el("h2", null, `Consumer groups (${groups.length})`),
    table(
      ["group", "type", "state", "members"],
      groups.map((g) => row([link(`#/groups/${enc(g.groupId)}`, g.groupId), g.type, g.state, g.members], [3])),
      ["members"],
    ),
  );
}

async function topic(name) {
  const t = await api(`topics/${enc(name)}`);
  const schema = (s) => (s ? `${s.type} · ${s.subject}${s.version === null ? "" : ` v${s.version}`}${s.id === null ? "" : ` (id ${s.id})`}` : "none");
  show(
    el("h1", null, `Topic ${t.name}`),
    el("div", { class: "facts" }, el("div", null, el("span", null, "id"), t.id), el("div", null, el("span", null, "key schema"), schema(t.schemas.key)), el("div", null, el("span", null, "value schema"), schema(t.schemas.value))),
    el("h2", null, "Partitions"),
    table(
      ["partition", "log start", "high watermark", "last stable", "records", ""],
      t.partitions.map((p) =>
        row([p.partition, p.logStartOffset, p.highWatermark, p.lastStableOffset, String(BigInt(p.highWatermark) - BigInt(p.logStartOffset)), link(`#/topics/${enc(t.name)}/${p.partition}?offset=${p.logStartOffset}`, "browse")], [0, 1, 2, 3, 4]),
      ),
      ["partition", "log start", "high watermark", "last stable", "records"],
    ),
    t.schemas.value ? [el("h2", null, "Value schema"), el("pre", null, t.schemas.value.schema)] : [],
    el("h2", null, "Configs"),
    t.configs === null ? el("p", null, notAuthorized()) : table(["name", "value", ""], t.configs.map((c) => row([c.name, c.value, c.isDefault ? el("span", { class: "muted" }, "default") : "set on topic"]))),
  );
}

async function records(name, partition, params) {
  const offset = params.get("offset") ?? "0";
  const page = await api(`topics/${enc(name)}/partitions/${partition}/records?offset=${enc(offset)}&limit=50`);
  const input = el("input", { type: "number", min: "0", value: offset, name: "offset" });
  const go = (from) => (location.hash = `#/topics/${enc(name)}/${partition}?offset=${from}`);
  show(
    el("h1", null, link(`#/topics/${enc(name)}`, name), ` · partition ${partition}`),
    el("form", { class: "browse", onsubmit: (e) => (e.preventDefault(), go(input.value || "0")) },
      el("label", null, "from offset "), input, el("button", { type: "submit" }, "Show"),
      el("span", { class: "muted" }, `log start ${page.logStartOffset} · high watermark ${page.highWatermark}`),
      BigInt(page.nextOffset) < BigInt(page.highWatermark) ? el("button", { type: "button", onclick: () => go(page.nextOffset) }, "Next page") : null,
    ),
    table(
      ["offset", "timestamp", "key", "value", "headers"],
      page.records.map((r) =>
        row([
          r.offset,
          el("span", { title: r.timestampType }, new Date(Number(r.timestamp)).toISOString()),
          rendered(r.key),
          rendered(r.value),
          r.headers.length === 0 ? el("span", { class: "muted" }, "none") : el("div", null, r.headers.map((h) => el("div", null, el("strong", null, `${h.key}: `), rendered(h.value)))),
        ], [0]),
      ),
    ),
  );
}

async function group(groupId) {
  const g = await api(`groups/${enc(groupId)}`);
  show(
    el("h1", null, `Consumer group ${g.groupId}`),
    el("div", { class: "facts" },
      el("div", null, el("span", null, "state"), g.state),
      el("div", null, el("span", null, "type"), g.type),
      el("div", null, el("span", null, "assignor"), g.assignor ?? "—"),
      el("div", null, el("span", null, "members"), g.members.length),
      el("div", null, el("span", null, "total lag"), lagCell(g.totalLag)),
      el("div", null, el("span", null, "updated"), new Date().toLocaleTimeString()),
    ),
    el("h2", null, "Offsets and lag"),
    table(
      ["topic", "partition", "committed offset", "high watermark", "lag", "consumer"],
      g.offsets.map((o) => row([link(`#/topics/${enc(o.topic)}`, o.topic), o.partition, o.committedOffset, o.highWatermark, lagCell(o.lag), o.owner ?? el("span", { class: "muted" }, "—")], [1, 2, 3, 4])),
      ["partition", "committed offset", "high watermark", "lag"],
    ),
    el("h2", null, "Members"),
    table(
      ["member id", "client id", "host", "instance id", "assigned partitions"],
      g.members.map((m) => row([m.memberId, m.clientId, m.clientHost, m.instanceId ?? "—", m.assignment.map((a) => `${a.topic}: ${a.partitions.join(", ")}`).join("; ") || "—"])),
    ),
  );
}

async function route() {
  clearInterval(refreshTimer);
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "topics" && parts.length === 2) await topic(parts[1]);
    else if (parts[0] === "topics" && parts.length === 3) await records(parts[1], parts[2], new URLSearchParams(query));
    else if (parts[0] === "groups" && parts.length === 2) {
      await group(parts[1]);
      // Lag moves while consumers work: keep the page current.
      refreshTimer = setInterval(() => group(parts[1]).catch(showError), GROUP_REFRESH_MS);
    } else await home();
  } catch (error) {
    showError(error);
  }
}

window.addEventListener("hashchange", route);
cluster().catch((error) => (document.getElementById("cluster").textContent = `cluster unavailable: ${error.message}`));
route();
