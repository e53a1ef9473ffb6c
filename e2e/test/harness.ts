// Playwright helpers for the journeys: Debian's Chromium with a fresh profile, the fake host page, and
// a strict watch on every frame. Any uncaught error, console error, crashed frame, 5xx answer or
// failed request in the host or a hub fails the test, and so does a handshake that never completes.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Frame, type FrameLocator, type Locator, type Page } from "playwright-core";
import { DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import type { FrameSnapshot, HostWidgetSettings, LogEntry } from "../src/host/host";
import { ROOT } from "../src/manifest";
import { startStack, type Stack } from "../src/stack";
import { pageHeaders } from "../src/demo";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const ARTIFACTS = path.join(ROOT, "e2e/artifacts");
export const FIXTURES = path.join(__dirname, "fixtures");

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh user-data dir; the bundle's API URL is forwarded when the stack had to move the backend. */
export async function launchBrowser(stack: Stack): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium; .ci/run does it)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "testops-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  const fwd = stack.apiForward;
  if (fwd) await context.route(`${fwd.from}/**`, (route) => route.continue({ url: route.request().url().replace(fwd.from, fwd.to) }));
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PageProblem {
  kind: "pageerror" | "console" | "network" | "crash" | "host";
  text: string;
  url?: string;
}

export interface Selection {
  contribution: string;
  org: string;
  user: string;
  project: string;
  workItem: string;
  theme: "light" | "dark";
  /** Host faults for the detection tests: handshake-error, handshake-hang, access-token-error. */
  fault: string;
  /** The Azure DevOps page URL's query the hub sees (IHostNavigationService.getQueryParams), e.g. "tab=runs&runId=…". */
  navQuery: string;
}

interface HostApi {
  ready: boolean;
  log: LogEntry[];
  navigation: { records: { method: string; args: unknown[] }[] };
  frames(): FrameSnapshot[];
  session: { themes: Record<"light" | "dark", Record<string, string>> };
  /** Dashboards (widgets.e2e.ts): saved settings, every load/reload the host made, the dashboard's view. */
  widget: {
    settings(id: string): HostWidgetSettings | undefined;
    setSettings(id: string, settings: unknown): void;
    loads(): { frame: string; method: string; settings: HostWidgetSettings; status?: unknown; error?: string }[];
    view(): string;
  };
}
declare global {
  interface Window {
    __host: HostApi;
  }
}

export class HostPage {
  readonly problems: PageProblem[] = [];
  /** 4xx answers the hubs got: expected in some journeys (a rejected PAT), listed for failure messages. */
  readonly clientErrors: string[] = [];
  private hostErrorsSeen = 0;

  private constructor(
    readonly page: Page,
    readonly stack: Stack,
  ) {}

  static async open(context: BrowserContext, stack: Stack, sel: Partial<Selection>): Promise<HostPage> {
    const page = await context.newPage();
    const host = new HostPage(page, stack);
    host.watch();
    const q = new URLSearchParams(Object.entries(sel).filter((e): e is [string, string] => !!e[1]));
    await page.goto(`${stack.urls.host}/?${q}`);
    await page.waitForFunction(() => window.__host?.ready === true, null, { timeout: 60_000 });
    return host;
  }

  private watch() {
    const p = this.page;
    p.on("pageerror", (e) => this.problems.push({ kind: "pageerror", text: e.stack || e.message }));
    p.on("crash", () => this.problems.push({ kind: "crash", text: "the page crashed" }));
    p.on("console", (msg) => {
      if (msg.type() !== "error" && msg.type() !== "assert") return;
      const text = msg.text();
      const url = msg.location().url;
      // Chromium logs every non-2xx resource as a console error: 4xx can be the expected answer
      // (a rejected PAT is a 400), so those are kept apart; 5xx and transport failures are problems.
      const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(text);
      if (status && Number(status[1]) < 500) {
        this.clientErrors.push(`${status[1]} ${url}`);
        return;
      }
      this.problems.push({ kind: "console", text, url });
    });
    p.on("requestfailed", (req) => {
      const why = req.failure()?.errorText ?? "failed";
      // Aborted = the host replaced a frame while it was loading (switching user or project).
      if (why.includes("ERR_ABORTED")) return;
      this.problems.push({ kind: "network", text: `${req.method()} ${req.url()}: ${why}`, url: req.url() });
    });
    p.on("response", (res) => {
      if (res.status() >= 500)
        this.problems.push({ kind: "network", text: `${res.request().method()} ${res.url()} answered ${res.status()}`, url: res.url() });
    });
  }

  /** Problems the host itself noticed (a listener that was not registered, an unknown service, a failed load). */
  async hostProblems(): Promise<PageProblem[]> {
    const log = await this.page.evaluate(() => window.__host.log.filter((l) => l.error));
    return log.map((l) => ({ kind: "host" as const, text: `[${l.frame}] ${l.method}: ${l.detail ?? ""}` }));
  }

  /** Throws when anything went wrong in the host or a hub since the page opened (or since the last takeProblems). */
  async assertClean(): Promise<void> {
    const host = (await this.hostProblems()).slice(this.hostErrorsSeen);
    const all = [...this.problems, ...host];
    if (all.length) throw new Error(`Problems in the host page or a hub frame:\n  ${all.map((x) => `${x.kind}: ${x.text}`).join("\n  ")}`);
  }

  /** For tests that provoke problems on purpose: returns and forgets them. */
  async takeProblems(): Promise<PageProblem[]> {
    const host = (await this.hostProblems()).slice(this.hostErrorsSeen);
    this.hostErrorsSeen += host.length;
    return [...this.problems.splice(0), ...host];
  }

  frames(): Promise<FrameSnapshot[]> {
    return this.page.evaluate(() => window.__host.frames());
  }

  /** Waits until the frame finished loading (handshake + notifyLoadSucceeded) and nothing went wrong. */
  async waitLoaded(key = "main", timeout = 90_000): Promise<FrameSnapshot> {
    await this.page.waitForFunction(
      (k) => {
        const f = window.__host.frames().find((x) => x.key === k);
        return f && (f.status === "loaded" || f.status === "failed");
      },
      key,
      { timeout },
    );
    const f = (await this.frames()).find((x) => x.key === key)!;
    if (f.status === "failed") throw new Error(`${f.contribution} did not load: ${f.error}`);
    await this.assertClean();
    return f;
  }

  /** The hub page, for locators (getByRole, getByText…). */
  hub(key = "main"): FrameLocator {
    return this.page.frameLocator(`iframe[data-frame="${key}"]`);
  }

  /** The hub page as a Frame, for evaluate(). */
  async hubFrame(key = "main"): Promise<Frame> {
    const el = await this.page.locator(`iframe[data-frame="${key}"]`).elementHandle();
    const frame = await el?.contentFrame();
    if (!frame) throw new Error(`No frame ${key}`);
    return frame;
  }

  /** Waits until the hub shows no spinner (its data arrived), then returns its text. */
  async settled(key = "main", timeout = 30_000): Promise<string> {
    const hub = this.hub(key);
    await hub.locator("body").waitFor({ timeout });
    await hub.locator(".bolt-spinner").first().waitFor({ state: "detached", timeout });
    return (await hub.locator("body").innerText()).trim();
  }

  /** Texts of the error message cards/bars the hub shows (azure-devops-ui MessageCard/MessageBar, severity error). */
  async errorCards(key = "main"): Promise<string[]> {
    return this.hub(key).locator(".severity-error").allInnerTexts();
  }

  async assertNoErrorCards(key = "main"): Promise<void> {
    const cards = await this.errorCards(key);
    if (cards.length) throw new Error(`The hub shows an error: ${cards.join(" | ")}`);
  }

  /** Uses the host toolbar, as a person would. */
  async choose(
    field: "contribution" | "org" | "user" | "project" | "workItem" | "theme",
    value: string | { label: string },
  ): Promise<void> {
    await this.page.locator(`#${field}`).selectOption(value);
  }

  async hostLog(): Promise<LogEntry[]> {
    return this.page.evaluate(() => window.__host.log);
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    // The whole host page: the hub is judged in context, next to Azure DevOps-like chrome.
    await this.page.screenshot({ path: file });
    return file;
  }

  async close(): Promise<void> {
    try {
      await this.assertClean();
    } finally {
      await this.page.close();
    }
  }
}

/** Pages served only in tests from e2e/test/fixtures on the extension origin (most deliberately broken). */
export const FIXTURE_PAGES = [
  "clean",
  "no-handshake",
  "throws",
  "console-error",
  "unhandled-rejection",
  "load-failed",
  "services",
] as const;
export const fixtureContributions = () => [
  ...FIXTURE_PAGES.map((name) => ({
    id: `fixture-${name}`,
    name: `Fixture: ${name}`,
    type: "ms.vss-web.hub",
    targets: ["ms.vss-work-web.work-hub-group"],
    uri: `test-fixtures/${name}.html`,
    surface: "project-hub" as const,
  })),
  {
    id: "fixture-panel",
    name: "Fixture panel",
    type: "ms.vss-web.external-content",
    targets: [],
    uri: "test-fixtures/panel-content.html",
    surface: "panel" as const,
  },
];

/** An org admin's call straight to the backend API (setup and checks that are not the journey under test). */
export async function adminApi(stack: Stack, path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await stack.backend.app.request(path, {
    method: init.method ?? "GET",
    headers: { ...(await pageHeaders(stack, DEMO_USERS.admin.id)), "Content-Type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} → ${res.status} ${text}`);
  return JSON.parse(text);
}

/**
 * A stack and a browser with the demo organization already connected (through the API: connecting it
 * in the hub is the org settings journey).
 */
export async function startConnected(): Promise<{ stack: Stack; browser: Browser }> {
  const stack = await startStack({ allowBackendPortFallback: true });
  const browser = await launchBrowser(stack);
  await adminApi(stack, "/api/connections", {
    method: "POST",
    body: { name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin },
  });
  return { stack, browser };
}

/** A button by its exact accessible name. */
export const button = (within: { getByRole: Locator["getByRole"] }, name: string) => within.getByRole("button", { name, exact: true });

/** Screenshots of the host page in the light theme, then the dark one (switched through the host toolbar). */
export async function bothThemes(host: HostPage, name: string): Promise<void> {
  await host.screenshot(`${name}-light`);
  await host.choose("theme", "dark");
  await host.page.waitForFunction(() => window.__host.log.some((l) => l.method === "→ themeChanged"));
  await host.page.waitForTimeout(300);
  await host.screenshot(`${name}-dark`);
  await host.choose("theme", "light");
  await host.page.waitForTimeout(300);
}
