// The fake Azure DevOps host page. It embeds a contribution's page (served from another origin) in an
// iframe and plays Azure DevOps' side of the SDK's XDM channel with the SDK's own XDM.js: the
// handshake (context, config, theme), tokens, services, work item form notifications, theme changes.
// Tests read window.__host; a person uses the toolbar.
import type { IDialogOptions, IGlobalMessageBanner, IMessageDialogOptions, IPanelOptions, IToast } from "azure-devops-extension-api";
import type { Session } from "../hostServer";
import type { HostContribution, WidgetSize } from "../manifest";
import { WorkItemForm } from "./form.js";
import { createServices, type HostEnv, type NavigationState } from "./services.js";

interface XdmChannel {
  getObjectRegistry(): { register(instanceId: string, instance: unknown): void };
  invokeRemoteMethod<T = unknown>(methodName: string, instanceId: string, params?: unknown[]): Promise<T>;
}
interface ChannelManager {
  addChannel(w: Window, targetOrigin?: string): XdmChannel;
  removeChannel(c: XdmChannel): void;
}

type Theme = "light" | "dark";
type Status = "loading" | "handshake" | "loaded" | "failed";

interface Selection {
  contribution: string;
  org: string;
  user: string;
  project: string;
  workItem: string;
  theme: Theme;
}

interface Frame {
  key: string;
  contribution: HostContribution;
  iframe: HTMLIFrameElement;
  channel: XdmChannel;
  status: Status;
  error?: string;
  initOptions?: Record<string, unknown>;
  config: Record<string, unknown>;
  timers: number[];
  /** Set once the page's work item listener was told about the current item. */
  notifiedWorkItem?: number;
}

export interface LogEntry {
  at: string;
  frame: string;
  method: string;
  detail?: string;
  error?: boolean;
}

export interface FrameSnapshot {
  key: string;
  contribution: string;
  contributionId: string;
  status: Status;
  error?: string;
  initOptions?: Record<string, unknown>;
}

const THEME_IDS: Record<Theme, string> = { light: "ms.vss-web.vsts-theme", dark: "ms.vss-web.vsts-theme-dark" };
const SURFACE_NAMES: Record<string, string> = {
  "organization-settings": "Organization Settings",
  "project-settings": "Project Settings",
  "project-hub": "Boards",
  "work-item-form": "Work item form",
  dashboard: "Dashboards",
};

/** What a dashboard hands a widget (WidgetSettings of azure-devops-extension-api/Dashboard). */
export interface HostWidgetSettings {
  name: string;
  size: WidgetSize;
  customSettings: { data: string | null; version?: unknown };
}
/** Azure DevOps' dashboard grid: 160 px cells with 10 px gutters (WidgetSizeConverter). */
const cellsToPixels = (n: number) => 160 * n + 10 * (n - 1);
const CONFIGURATION_CHANGE = "ms.vss-dashboards-web.configurationChange";
const GENERAL_SETTINGS_CHANGED = "ms.vss-dashboards-web.generalSettingsChanged";
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const messageOf = (e: unknown) =>
  e && typeof e === "object" && "message" in e
    ? String((e as { message: unknown }).message)
    : typeof e === "string"
      ? e
      : JSON.stringify(e);

async function main() {
  const xdmUrl = "/sdk/XDM.js";
  const { channelManager } = (await import(xdmUrl)) as { channelManager: ChannelManager };
  const session = (await (await fetch("/api/session")).json()) as Session;
  const fault = new URLSearchParams(location.search).get("fault") ?? "";
  const extOrigin = new URL(session.extension.baseUri).origin;
  // Panels open from pages; a widget's configuration opens from its widget (Configure).
  const pickable = session.contributions.filter((c) => c.surface !== "panel" && c.surface !== "widget-configuration");

  const frames = new Map<string, Frame>();
  const log: LogEntry[] = [];
  // `navQuery` is the query of the Azure DevOps page URL (what IHostNavigationService.getQueryParams() answers),
  // e.g. a link that opens a hub on one of its views: ?navQuery=tab%3Druns%26runId%3D…
  const navQuery = Object.fromEntries(new URLSearchParams(new URLSearchParams(location.search).get("navQuery") ?? ""));
  const navigation: NavigationState = { hash: "", query: navQuery, title: "", records: [], hashListeners: [] };
  const extensionData = new Map();
  let form: WorkItemForm | undefined;
  let workItems: { id: number; title: string; type: string; state: string }[] = [];
  let overlayCount = 0;
  let generation = 0;
  // The dashboard: one instance of each widget, its saved settings (kept while the host page lives), and
  // whether its configuration is open (with the settings being edited, shown live in the preview).
  const widgetSettings = new Map<string, HostWidgetSettings>();
  const widgetLoads: { frame: string; method: "load" | "reload"; settings: HostWidgetSettings; status?: unknown; error?: string }[] = [];
  let dashboardView: "dashboard" | "configure" = "dashboard";
  let editing: HostWidgetSettings | undefined;

  // ---- selection (toolbar + URL) ----
  const q = new URLSearchParams(location.search);
  const sel: Selection = {
    contribution: q.get("contribution") ?? session.defaults.contribution ?? pickable[0]?.id ?? "",
    org: q.get("org") ?? session.defaults.org ?? "",
    user: q.get("user") ?? "",
    project: q.get("project") ?? "",
    workItem: q.get("workItem") ?? "",
    theme: q.get("theme") === "dark" ? "dark" : "light",
  };
  const org = () => session.orgs.find((o) => o.name === sel.org) ?? session.orgs[0];
  const user = () => org().users.find((u) => u.id === sel.user) ?? org().users[0];
  const projectOf = () => org().projects.find((p) => p.id === sel.project || p.name === sel.project) ?? org().projects[0];
  const contribution = () => pickable.find((c) => c.id === sel.contribution) ?? pickable[0];
  /** Organization-level pages have no project in their page context, as in Azure DevOps. */
  const pageProject = (c: HostContribution) => (c.surface === "organization-settings" ? undefined : projectOf());
  const orgUrl = () => org().url;

  function writeUrl() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(sel)) if (v) p.set(k, String(v));
    if (fault) p.set("fault", fault);
    history.replaceState(null, "", `?${p}`);
  }

  // ---- log ----
  function addLog(frame: string, method: string, detail?: unknown, error = false) {
    const entry: LogEntry = {
      at: new Date().toISOString().slice(11, 23),
      frame,
      method,
      detail: detail === undefined ? undefined : typeof detail === "string" ? detail : JSON.stringify(detail),
      error,
    };
    log.push(entry);
    const li = document.createElement("li");
    li.textContent = `${entry.at} [${frame}] ${method}${entry.detail ? " " + entry.detail.slice(0, 300) : ""}`;
    if (error) li.className = "error";
    const list = $("log");
    list.appendChild(li);
    while (list.children.length > 500) list.firstChild?.remove();
    $("log-count").textContent = `(${log.length})`;
    if (error) ($("log-panel") as HTMLDetailsElement).open = true;
  }

  // ---- tokens ----
  async function post<T>(url: string, body: unknown): Promise<T> {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await res.json()) as T & { message?: string };
    if (!res.ok) throw new Error(json.message ?? `${url} failed (${res.status})`);
    return json;
  }

  // ---- status ----
  function showStatus() {
    const main = frames.get("main");
    const el = $("status");
    el.dataset.state = main?.status ?? "";
    el.textContent = !main
      ? "No page"
      : main.status === "loading"
        ? `Loading ${main.contribution.name}…`
        : main.status === "handshake"
          ? "Handshake done, waiting for the page…"
          : main.status === "loaded"
            ? "Loaded"
            : `Failed: ${main.error}`;
  }

  function setStatus(frame: Frame, status: Status, error?: string) {
    if (frame.status === "failed" || frame.status === status) return;
    frame.status = status;
    frame.error = error;
    if (status === "failed") addLog(frame.key, "load failed", error, true);
    if (status === "loaded") setTimeout(() => void notifyWorkItem(frame, "onLoaded"), 0);
    showStatus();
  }

  // ---- work item form notifications (to the page's registered listener) ----
  function workItemArgs(extra: Record<string, unknown> = {}) {
    return { id: form?.id ?? 0, ...extra };
  }
  async function callListener(frame: Frame, method: string, args: unknown) {
    addLog(frame.key, `→ ${method}`, args);
    try {
      await frame.channel.invokeRemoteMethod(method, frame.contribution.fullId, [args]);
    } catch (e) {
      const why = messageOf(e);
      // Listeners may leave out notifications they do not need (Azure DevOps ignores that); a listener
      // that is not registered at all is a bug (the page also logs "No handler found").
      if (why.includes("RPC method not found")) addLog(frame.key, `${method} ignored`, "the page's listener has no such method");
      else
        addLog(
          frame.key,
          `${method} was not delivered`,
          `the page has no listener registered as ${frame.contribution.fullId}: ${why}`,
          true,
        );
    }
  }
  async function notifyWorkItem(frame: Frame, method: "onLoaded" | "onUnloaded") {
    if (frame.contribution.surface !== "work-item-form" || frame.status !== "loaded" || !form?.id) return;
    if (method === "onLoaded") {
      if (frame.notifiedWorkItem === form.id) return;
      frame.notifiedWorkItem = form.id;
      await callListener(frame, "onLoaded", workItemArgs({ isNew: false, isReadOnly: false }));
    } else {
      frame.notifiedWorkItem = undefined;
      await callListener(frame, "onUnloaded", workItemArgs());
    }
  }
  const formFrames = () => [...frames.values()].filter((f) => f.contribution.surface === "work-item-form" && f.status === "loaded");

  // ---- theme ----
  function applyHostTheme() {
    document.body.className = `theme-${sel.theme}`;
  }
  function sendTheme() {
    for (const f of frames.values()) {
      if (f.status !== "loaded" && f.status !== "handshake") continue;
      addLog(f.key, "→ themeChanged", sel.theme);
      f.channel
        .invokeRemoteMethod("dispatchEvent", "DevOps.SdkClient", ["themeChanged", { detail: { data: session.themes[sel.theme] } }])
        .catch((e) => addLog(f.key, "themeChanged was not delivered", messageOf(e), true));
    }
  }

  // ---- the host environment the services use ----
  const env: HostEnv = {
    orgName: () => org().name,
    orgUrl,
    userId: () => user().id,
    project: () => pageProject(contribution()),
    form: () => form,
    openContent: (kind, id, options) => openContent(kind, id, options),
    messageDialog: (message, options) => messageDialog(message, options),
    toast: (t) => toast(t),
    banner: (b) => banner(b),
    reloadFrame: () => void render(),
    navigation,
    extensionData,
    fullScreen: { value: false },
  };
  const services = createServices(env, session.extension.id);

  function handshakeData(frame: Frame) {
    const u = user();
    const o = org();
    const p = pageProject(frame.contribution);
    return {
      contributionId: frame.contribution.fullId,
      context: {
        extension: session.extension,
        user: {
          id: u.id,
          name: u.uniqueName,
          displayName: u.displayName,
          descriptor: u.descriptor,
          imageUrl: `${o.url}_apis/GraphProfile/MemberAvatars/${u.descriptor}`,
        },
        host: { id: o.id, name: o.name, serviceVersion: "fake-host", type: 4, isHosted: true },
        pageContext: {
          webContext: p ? { project: { id: p.id, name: p.name }, team: p.team } : {},
          globalization: {
            culture: "en-US",
            theme: THEME_IDS[sel.theme],
            explicitTheme: THEME_IDS[sel.theme],
            timeZoneId: "UTC",
            timezoneOffset: 0,
            typeAheadDisabled: false,
          },
        },
      },
      initialConfig: frame.config,
      themeData: session.themes[sel.theme],
    };
  }

  function hostControl(frame: Frame) {
    return {
      initialHandshake(options: Record<string, unknown>) {
        addLog(frame.key, "initialHandshake", options);
        frame.initOptions = options;
        if (fault === "handshake-error") throw new Error("The fake host rejected the handshake (fault=handshake-error)");
        if (fault === "handshake-hang") return new Promise(() => undefined);
        if (options?.loaded === false) {
          setStatus(frame, "handshake");
          frame.timers.push(
            window.setTimeout(() => {
              if (frame.status === "handshake")
                setStatus(
                  frame,
                  "failed",
                  `The page did not call notifyLoadSucceeded within ${session.timeouts.loadMs / 1000}s of the handshake`,
                );
            }, session.timeouts.loadMs),
          );
        } else setStatus(frame, "loaded");
        return handshakeData(frame);
      },
      notifyLoadSucceeded() {
        addLog(frame.key, "notifyLoadSucceeded");
        setStatus(frame, "loaded");
      },
      notifyLoadFailed(e: unknown) {
        addLog(frame.key, "notifyLoadFailed", messageOf(e), true);
        setStatus(frame, "failed", `The page called notifyLoadFailed: ${messageOf(e)}`);
      },
      async getAccessToken() {
        addLog(frame.key, "getAccessToken");
        if (fault === "access-token-error") throw new Error("The fake host could not issue an access token (fault=access-token-error)");
        return post<{ token: string }>("/api/tokens/access", { org: org().name, userId: user().id });
      },
      async getAppToken() {
        addLog(frame.key, "getAppToken");
        return post<{ token: string }>("/api/tokens/app", { userId: user().id });
      },
      resize(width?: number, height?: number) {
        addLog(frame.key, "resize", { width, height });
        // Hubs fill the page; form groups, panels and dialogs take the height the page asks for.
        if (frame.contribution.surface !== "project-hub" && typeof height === "number" && height > 0)
          frame.iframe.style.height = `${height}px`;
      },
    };
  }

  function mountFrame(key: string, c: HostContribution, container: HTMLElement, config: Record<string, unknown>, className: string): Frame {
    const iframe = document.createElement("iframe");
    iframe.className = className;
    iframe.title = c.name;
    iframe.dataset.frame = key;
    iframe.dataset.contribution = c.id;
    if (c.height) iframe.style.height = `${c.height}px`;
    container.appendChild(iframe);
    // The channel must exist before the page's first message: the SDK handshakes as soon as it loads.
    const channel = channelManager.addChannel(iframe.contentWindow!, extOrigin);
    const frame: Frame = { key, contribution: c, iframe, channel, status: "loading", config, timers: [] };
    channel.getObjectRegistry().register("DevOps.HostControl", hostControl(frame));
    channel.getObjectRegistry().register("DevOps.ServiceManager", {
      getService(id: string) {
        addLog(key, "getService", id);
        const make = services[id];
        if (!make) {
          addLog(key, "getService failed", `the fake host has no service ${id}`, true);
          throw new Error(`Service ${id} is not available in the fake host`);
        }
        return make();
      },
    });
    iframe.addEventListener(
      "load",
      () => {
        frame.timers.push(
          window.setTimeout(() => {
            if (frame.status === "loading")
              setStatus(
                frame,
                "failed",
                `The page did not start the SDK handshake within ${session.timeouts.handshakeMs / 1000}s (${c.uri})`,
              );
          }, session.timeouts.handshakeMs),
        );
      },
      { once: true },
    );
    iframe.src = `${session.extension.baseUri.replace(/\/+$/, "")}/${c.uri}`;
    frames.set(key, frame);
    addLog(key, "load", iframe.src);
    return frame;
  }

  function unmountFrame(frame: Frame) {
    frame.timers.forEach((t) => clearTimeout(t));
    channelManager.removeChannel(frame.channel);
    frame.iframe.remove();
    frames.delete(frame.key);
  }

  // ---- panels, dialogs, toasts, banners ----
  function overlay(kind: "panel" | "dialog", title: string, onDismiss: () => void) {
    const root = document.createElement("div");
    root.className = "overlay";
    root.setAttribute("role", "dialog");
    root.setAttribute("aria-label", title);
    const box = document.createElement("div");
    box.className = kind;
    const bar = document.createElement("div");
    bar.className = "bar";
    const span = document.createElement("span");
    span.textContent = title;
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "✕";
    close.setAttribute("aria-label", "Close");
    close.onclick = onDismiss;
    bar.append(span, close);
    box.appendChild(bar);
    root.appendChild(box);
    $("overlays").appendChild(root);
    return { root, box };
  }

  function openContent(kind: "panel" | "dialog", contributionId: string, options: IPanelOptions<unknown> & IDialogOptions<unknown>) {
    addLog("main", kind === "panel" ? "openPanel" : "openCustomDialog", { contributionId, title: options.title });
    const c = session.contributions.find((x) => x.fullId === contributionId || x.id === contributionId);
    if (!c) throw new Error(`Contribution ${contributionId} is not part of this extension`);
    const key = `${kind}-${++overlayCount}`;
    let closed = false;
    const close = (result?: unknown) => {
      if (closed) return;
      closed = true;
      const f = frames.get(key);
      if (f) unmountFrame(f);
      ui.root.remove();
      addLog(key, "closed", result);
      void Promise.resolve(options.onClose?.(result)).catch((e) => addLog(key, "onClose failed", messageOf(e), true));
    };
    const ui = overlay(kind, options.title ?? c.name, () => close(undefined));
    mountFrame(key, c, ui.box, { ...(options.configuration ?? {}), [kind]: { close } }, "content");
  }

  function messageDialog(message: string, options: IMessageDialogOptions) {
    addLog("main", "openMessageDialog", { message, title: options.title });
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      ui.root.remove();
      void Promise.resolve(options.onClose?.(ok)).catch((e) => addLog("main", "onClose failed", messageOf(e), true));
    };
    const ui = overlay("dialog", options.title ?? "", () => finish(false));
    const p = document.createElement("p");
    p.className = "message";
    p.textContent = message;
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    const ok = document.createElement("button");
    ok.type = "button";
    ok.textContent = options.okText ?? "OK";
    ok.onclick = () => finish(true);
    buttons.appendChild(ok);
    if (options.showCancel !== false) {
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.textContent = options.cancelText ?? "Cancel";
      cancel.onclick = () => finish(false);
      buttons.appendChild(cancel);
    }
    ui.box.append(p, buttons);
  }

  function toast(t: IToast) {
    addLog("main", "addToast", t.message);
    const div = document.createElement("div");
    div.setAttribute("role", "status");
    div.textContent = t.message;
    if (t.callToAction) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t.callToAction;
      b.onclick = () => void Promise.resolve(t.onCallToActionClick?.()).catch(() => undefined);
      div.append(" ", b);
    }
    $("toasts").appendChild(div);
    setTimeout(() => div.remove(), Math.max(1000, t.duration || 5000));
  }

  function banner(b: IGlobalMessageBanner | undefined) {
    addLog("main", b ? "addBanner" : "closeBanner", b?.message);
    document.getElementById("banner")?.remove();
    if (!b) return;
    const div = document.createElement("div");
    div.id = "banner";
    div.className = "toolbar";
    div.setAttribute("role", "alert");
    div.textContent = b.message ?? "";
    $("surface").before(div);
  }

  // ---- toolbar ----
  function options(select: HTMLSelectElement, items: { value: string; label: string }[], value: string) {
    select.replaceChildren(
      ...items.map((i) => {
        const o = document.createElement("option");
        o.value = i.value;
        o.textContent = i.label;
        return o;
      }),
    );
    select.value = value;
  }

  function renderToolbar() {
    const c = contribution();
    options(
      $("contribution"),
      pickable.map((x) => ({ value: x.id, label: `${SURFACE_NAMES[x.surface] ?? x.surface} › ${x.name}` })),
      c?.id ?? "",
    );
    options(
      $("org"),
      session.orgs.map((o) => ({ value: o.name, label: o.name })),
      org().name,
    );
    sel.user = user().id;
    options(
      $("user"),
      org().users.map((u) => ({ value: u.id, label: `${u.displayName} (${u.role})` })),
      sel.user,
    );
    sel.project = projectOf().id;
    options(
      $("project"),
      org().projects.map((p) => ({ value: p.id, label: p.name })),
      sel.project,
    );
    ($("project") as HTMLSelectElement).disabled = c?.surface === "organization-settings";
    options(
      $("workItem"),
      workItems.map((w) => ({ value: String(w.id), label: `${w.id} · ${w.type} · ${w.title}` })),
      sel.workItem,
    );
    ($("workItem") as HTMLSelectElement).disabled = c?.surface !== "work-item-form" || !workItems.length;
    ($("theme") as HTMLSelectElement).value = sel.theme;
    const crumbs = [
      org().name,
      c && c.surface !== "organization-settings" ? projectOf().name : "",
      SURFACE_NAMES[c?.surface ?? ""] ?? "",
      c?.name ?? "",
    ];
    $("breadcrumb").innerHTML = "";
    crumbs.filter(Boolean).forEach((t, i, all) => {
      const el = document.createElement(i === all.length - 1 ? "b" : "span");
      el.textContent = t;
      $("breadcrumb").append(el, i < all.length - 1 ? " / " : "");
    });
  }

  async function loadWorkItems() {
    const res = await fetch(
      `/api/orgs/${encodeURIComponent(org().name)}/projects/${encodeURIComponent(projectOf().id)}/workitems?user=${encodeURIComponent(user().id)}`,
    );
    const body = (await res.json()) as { value?: typeof workItems; message?: string };
    if (!res.ok) {
      addLog("main", "work items could not be listed", body.message, true);
      workItems = [];
    } else workItems = body.value ?? [];
    if (!workItems.some((w) => String(w.id) === sel.workItem)) sel.workItem = workItems[0] ? String(workItems[0].id) : "";
  }

  // ---- the page surface ----
  function sideNav(c: HostContribution): HTMLElement {
    const nav = document.createElement("nav");
    nav.className = "sidenav";
    nav.setAttribute("aria-label", SURFACE_NAMES[c.surface] ?? "");
    const h = document.createElement("h2");
    h.textContent = SURFACE_NAMES[c.surface] ?? "";
    nav.appendChild(h);
    for (const x of pickable.filter((p) => p.surface === c.surface)) {
      const a = document.createElement("a");
      a.href = "#";
      a.textContent = x.name;
      if (x.id === c.id) a.setAttribute("aria-current", "page");
      a.onclick = (e) => {
        e.preventDefault();
        void select({ contribution: x.id });
      };
      nav.appendChild(a);
    }
    return nav;
  }

  function renderForm(container: HTMLElement) {
    const f = form!;
    container.replaceChildren();
    const type = document.createElement("div");
    type.className = "wit-type";
    type.textContent = `${String(f.value("System.WorkItemType") ?? "")} ${f.id}`;
    const titleRow = document.createElement("div");
    titleRow.className = "wit-title";
    const title = document.createElement("input");
    title.setAttribute("aria-label", "Title");
    title.value = String(f.value("System.Title") ?? "");
    title.onchange = () => f.set({ "System.Title": title.value });
    const save = document.createElement("button");
    save.type = "button";
    save.textContent = f.dirty.size ? "Save *" : "Save";
    save.onclick = () => void f.save().catch(() => undefined);
    const refresh = document.createElement("button");
    refresh.type = "button";
    refresh.textContent = "Refresh";
    refresh.onclick = () => void f.refresh().catch((e) => addLog("main", "refresh failed", messageOf(e), true));
    titleRow.append(title, save, refresh);
    const fields = document.createElement("div");
    fields.className = "wit-fields";
    for (const [label, ref] of [
      ["State", "System.State"],
      ["Iteration", "System.IterationPath"],
      ["Area", "System.AreaPath"],
    ]) {
      const span = document.createElement("span");
      span.textContent = `${label}: ${String(f.value(ref) ?? "")}`;
      fields.appendChild(span);
    }
    container.append(type, titleRow, fields);
    for (const msg of [f.error, f.saveError].filter(Boolean)) {
      const err = document.createElement("div");
      err.className = "wit-error";
      err.setAttribute("role", "alert");
      err.textContent = msg!;
      container.appendChild(err);
    }
  }

  // ---- dashboards: widgets and their configuration ----
  function settingsOf(c: HostContribution): HostWidgetSettings {
    let s = widgetSettings.get(c.id);
    if (!s) {
      // A widget just added from the catalog: its name, its first supported size, no custom settings yet.
      s = { name: c.name, size: c.supportedSizes?.[0] ?? { rowSpan: 1, columnSpan: 1 }, customSettings: { data: null } };
      widgetSettings.set(c.id, s);
    }
    return s;
  }

  /** Calls a method of the object the page registered (under its full contribution id, else its short id). */
  async function invokeRegistered<T>(frame: Frame, method: string, args: unknown[]): Promise<T> {
    try {
      return await frame.channel.invokeRemoteMethod<T>(method, frame.contribution.fullId, args);
    } catch (e) {
      if (!messageOf(e).includes("not found")) throw e;
      return await frame.channel.invokeRemoteMethod<T>(method, frame.contribution.id, args);
    }
  }

  /** Waits until the frame's page said it loaded (the dashboard calls a widget only then). */
  function whenLoaded(frame: Frame): Promise<void> {
    return new Promise((resolve, reject) => {
      const tick = () => {
        if (!frames.has(frame.key) || frames.get(frame.key) !== frame) return reject(new Error("frame closed"));
        if (frame.status === "loaded") return resolve();
        if (frame.status === "failed") return reject(new Error(frame.error));
        setTimeout(tick, 25);
      };
      tick();
    });
  }

  async function callWidget(frame: Frame, method: "load" | "reload", settings: HostWidgetSettings) {
    const entry: (typeof widgetLoads)[number] = { frame: frame.key, method, settings: structuredClone(settings) };
    widgetLoads.push(entry);
    try {
      await whenLoaded(frame);
      addLog(frame.key, `→ widget.${method}`, settings);
      entry.status = await invokeRegistered(frame, method, [settings]);
      addLog(frame.key, `widget.${method} done`, entry.status);
    } catch (e) {
      entry.error = messageOf(e);
      if (entry.error !== "frame closed") addLog(frame.key, `widget.${method} failed`, entry.error, true);
    }
  }

  function sizeFrame(iframe: HTMLIFrameElement, size: WidgetSize) {
    iframe.style.width = `${cellsToPixels(size.columnSpan)}px`;
    iframe.style.height = `${cellsToPixels(size.rowSpan)}px`;
  }

  function sizePicker(c: HostContribution, value: WidgetSize, onChange: (s: WidgetSize) => void) {
    const label = document.createElement("label");
    label.textContent = "Size ";
    const select = document.createElement("select");
    select.name = "widget-size";
    options(
      select,
      (c.supportedSizes ?? [value]).map((z) => ({ value: `${z.columnSpan}x${z.rowSpan}`, label: `${z.columnSpan} × ${z.rowSpan}` })),
      `${value.columnSpan}x${value.rowSpan}`,
    );
    select.onchange = () => {
      const [columnSpan, rowSpan] = select.value.split("x").map(Number);
      onChange({ rowSpan, columnSpan });
    };
    label.appendChild(select);
    return label;
  }

  function button(text: string, onClick: () => void, name = text) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", name);
    b.onclick = onClick;
    return b;
  }

  /** The dashboard: the widget in a frame of its size; the size picker reloads it, Configure opens its configuration. */
  function renderDashboard(c: HostContribution, content: HTMLElement) {
    const settings = settingsOf(c);
    const bar = document.createElement("div");
    bar.className = "dashboard-bar";
    const frameBox = document.createElement("div");
    frameBox.className = "dashboard-grid";
    bar.append(
      sizePicker(c, settings.size, (size) => {
        settings.size = size;
        const frame = frames.get("main");
        if (frame) {
          sizeFrame(frame.iframe, size);
          void callWidget(frame, "reload", settings);
        }
      }),
    );
    if (c.configurationId) bar.append(button("Configure", () => void openConfiguration(), `Configure ${settings.name}`));
    content.append(bar, frameBox);
    const frame = mountFrame("main", c, frameBox, {}, "widget");
    sizeFrame(frame.iframe, settings.size);
    void callWidget(frame, "load", settings);
  }

  /**
   * The configuration view: the configuration's frame beside a live preview of the widget. The
   * configuration's notify(configurationChange) reloads the preview with the changed settings; Save asks
   * onSave() and keeps what it returns; Cancel drops the changes.
   */
  function renderConfiguration(c: HostContribution, content: HTMLElement) {
    const configC = session.contributions.find((x) => x.id === c.configurationId);
    if (!configC) throw new Error(`${c.id}: its configuration ${c.configurationId} is not in the manifest`);
    const saved = settingsOf(c);
    editing ??= structuredClone(saved);
    const draft = editing;
    const side = document.createElement("div");
    side.className = "widget-config-side";
    const general = document.createElement("div");
    general.className = "widget-config-general";
    const nameLabel = document.createElement("label");
    nameLabel.textContent = "Title ";
    const name = document.createElement("input");
    name.name = "widget-name";
    name.value = draft.name;
    nameLabel.appendChild(name);
    const generalChanged = () => {
      const preview = frames.get("preview");
      if (preview) {
        sizeFrame(preview.iframe, draft.size);
        void callWidget(preview, "reload", draft);
      }
    };
    name.onchange = () => {
      draft.name = name.value;
      generalChanged();
    };
    general.append(
      nameLabel,
      sizePicker(c, draft.size, (size) => {
        draft.size = size;
        generalChanged();
      }),
    );
    const configBox = document.createElement("div");
    configBox.className = "widget-config-frame";
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    const status = document.createElement("span");
    status.className = "widget-config-status";
    status.setAttribute("role", "status");
    buttons.append(
      button("Save", () => void save()),
      button("Cancel", () => {
        editing = undefined;
        dashboardView = "dashboard";
        void render();
      }),
      status,
    );
    side.append(general, configBox, buttons);
    const previewBox = document.createElement("div");
    previewBox.className = "dashboard-grid widget-preview";
    content.append(side, previewBox);

    const configFrame = mountFrame("main", configC, configBox, {}, "widget-config");
    const preview = mountFrame("preview", c, previewBox, {}, "widget");
    sizeFrame(preview.iframe, draft.size);
    void callWidget(preview, "load", draft);
    const context = {
      notify: async (event: string, args: { data?: unknown }) => {
        addLog("main", `notify ${event}`, args?.data);
        if (event === CONFIGURATION_CHANGE) {
          const cs = args?.data as HostWidgetSettings["customSettings"] | undefined;
          draft.customSettings = { data: typeof cs?.data === "string" ? cs.data : null, version: cs?.version };
          void callWidget(preview, "reload", draft);
        } else if (event === GENERAL_SETTINGS_CHANGED) generalChanged();
        return { getResponse: async () => "" };
      },
    };
    void (async () => {
      try {
        await whenLoaded(configFrame);
        addLog("main", "→ configuration.load", draft);
        await invokeRegistered(configFrame, "load", [draft, context]);
      } catch (e) {
        if (messageOf(e) !== "frame closed") addLog("main", "configuration.load failed", messageOf(e), true);
      }
    })();
    async function save() {
      try {
        const r = await invokeRegistered<{ isValid: boolean; customSettings?: HostWidgetSettings["customSettings"] }>(
          configFrame,
          "onSave",
          [],
        );
        addLog("main", "configuration.onSave", r);
        if (!r?.isValid) {
          status.textContent = "The configuration is not valid yet.";
          return;
        }
        widgetSettings.set(c.id, { ...draft, customSettings: r.customSettings ?? draft.customSettings });
        editing = undefined;
        dashboardView = "dashboard";
        await render();
      } catch (e) {
        status.textContent = `Could not save: ${messageOf(e)}`;
        addLog("main", "configuration.onSave failed", messageOf(e), true);
      }
    }
  }

  async function openConfiguration() {
    dashboardView = "configure";
    editing = undefined;
    await render();
  }

  async function render() {
    const gen = ++generation;
    for (const f of [...frames.values()]) unmountFrame(f);
    $("overlays").replaceChildren();
    form = undefined;
    writeUrl();
    applyHostTheme();
    const c = contribution();
    const surface = $("surface");
    surface.replaceChildren();
    if (!c) {
      renderToolbar();
      showStatus();
      return;
    }
    if (c.surface === "work-item-form") await loadWorkItems();
    if (gen !== generation) return;
    renderToolbar();
    const content = document.createElement("div");
    content.className = "content";
    if (c.surface === "dashboard") {
      surface.append(sideNav(c), content);
      content.classList.add("dashboard");
      if (dashboardView === "configure" && c.configurationId) renderConfiguration(c, content);
      else renderDashboard(c, content);
      showStatus();
      return;
    }
    if (c.surface !== "work-item-form") {
      surface.append(sideNav(c), content);
      mountFrame("main", c, content, {}, "hub");
      showStatus();
      return;
    }
    surface.append(content);
    if (!sel.workItem) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = `No work items in ${projectOf().name} that ${user().displayName} can see.`;
      content.appendChild(p);
      showStatus();
      return;
    }
    const wit = document.createElement("div");
    wit.className = "wit-form";
    const head = document.createElement("div");
    const section = document.createElement("section");
    const h3 = document.createElement("h3");
    h3.textContent = c.name;
    section.appendChild(h3);
    wit.append(head, section);
    content.appendChild(wit);
    form = newForm(head);
    try {
      await form.load(Number(sel.workItem));
    } catch (e) {
      addLog("main", "work item could not be loaded", messageOf(e), true);
    }
    if (gen !== generation) return;
    renderForm(head);
    mountFrame("main", c, section, {}, "group");
    showStatus();
  }

  function newForm(head: HTMLElement) {
    return new WorkItemForm(org().name, user().id, {
      onFieldChanged: (changed) =>
        formFrames().forEach((f) => void callListener(f, "onFieldChanged", workItemArgs({ changedFields: changed }))),
      onSaved: () => formFrames().forEach((f) => void callListener(f, "onSaved", workItemArgs())),
      onReset: () => formFrames().forEach((f) => void callListener(f, "onReset", workItemArgs())),
      onRefreshed: () => formFrames().forEach((f) => void callListener(f, "onRefreshed", workItemArgs())),
      render: () => renderForm(head),
    });
  }

  /** Switching the work item keeps the form group's page, as Azure DevOps does when moving between items. */
  async function switchWorkItem(id: string) {
    sel.workItem = id;
    writeUrl();
    if (!form || contribution()?.surface !== "work-item-form") return render();
    await Promise.all(formFrames().map((f) => notifyWorkItem(f, "onUnloaded")));
    await form.load(Number(id));
    form.showError(undefined);
    await Promise.all(formFrames().map((f) => notifyWorkItem(f, "onLoaded")));
  }

  async function select(change: Partial<Selection>) {
    const before = { ...sel };
    Object.assign(sel, change);
    if (change.org && change.org !== before.org) {
      sel.user = "";
      sel.project = "";
      sel.workItem = "";
    }
    if ((change.project && change.project !== before.project) || (change.user && change.user !== before.user)) sel.workItem = "";
    const only = (k: keyof Selection) => Object.keys(change).every((x) => x === k);
    if (!only("theme")) {
      dashboardView = "dashboard";
      editing = undefined;
    }
    if (only("theme")) {
      writeUrl();
      applyHostTheme();
      sendTheme();
      return;
    }
    if (only("workItem") && change.workItem !== before.workItem) return switchWorkItem(change.workItem ?? "");
    await render();
  }

  for (const id of ["contribution", "org", "user", "project", "workItem", "theme"] as const) {
    $<HTMLSelectElement>(id).addEventListener("change", (e) => void select({ [id]: (e.target as HTMLSelectElement).value }));
  }
  $("reload").addEventListener("click", () => void render());

  const api = {
    ready: false,
    session,
    log,
    navigation,
    selection: () => ({ ...sel }),
    select,
    frames: (): FrameSnapshot[] =>
      [...frames.values()].map((f) => ({
        key: f.key,
        contribution: f.contribution.id,
        contributionId: f.contribution.fullId,
        status: f.status,
        error: f.error,
        initOptions: f.initOptions,
      })),
    /** Types into the work item form as a user would (fires onFieldChanged), or saves it. */
    setField: (ref: string, value: unknown) => form?.set({ [ref]: value }),
    saveWorkItem: () => form?.save(),
    /** Dashboards: the widgets' saved settings, every load/reload the host made, and the configuration's buttons. */
    widget: {
      settings: (id: string) => structuredClone(widgetSettings.get(id)),
      /** Stores settings as a dashboard would have them (tests give hostile ones); the next render loads them. */
      setSettings: (id: string, settings: HostWidgetSettings) => widgetSettings.set(id, settings),
      loads: () => structuredClone(widgetLoads),
      view: () => dashboardView,
      configure: () => openConfiguration(),
    },
  };
  (window as unknown as { __host: typeof api }).__host = api;
  await render();
  api.ready = true;
}

main().catch((e) => {
  document.body.textContent = `The fake host failed to start: ${messageOf(e)}`;
  console.error(e);
});
