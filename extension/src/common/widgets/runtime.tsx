// The dashboard side of a widget and of its configuration (issue #20), on the SDK's widget protocol:
// the page registers an object under its contribution id; the dashboard calls its load(settings) once
// and reload(settings) whenever the settings change (the configuration's live preview too), and the
// configuration's load(settings, context) / onSave(). Both render React with azure-devops-ui.
import "./widgets.css";
import * as React from "react";
import * as ReactDOM from "react-dom";
import type { IWidgetConfigurationContext, SaveStatus, WidgetSettings, WidgetStatus } from "azure-devops-extension-api/Dashboard";
import { createApi, type Api } from "../api";
import { ErrorBoundary } from "../ui";
import { initSdk, ServiceIds, SDK } from "../sdk";
import type { IHostNavigationService } from "azure-devops-extension-api";
import { customSettings } from "./settings";

/** The dashboard's project, team and organization, and the backend client: what every widget needs. */
export interface WidgetPage {
  api: Api;
  collectionUrl: string;
  project: { id: string; name: string };
  /** The dashboard's team (its current sprint is the coverage widget's default). */
  team?: { id: string; name: string };
  /** Opens an Azure DevOps page in the top window (the host's navigation, as Azure DevOps links do). */
  navigate(url: string): void;
  /** URL of one of this extension's hubs in the dashboard's project, with the page query it reads. */
  hubUrl(kind: "project-settings" | "plans", query: Record<string, string>): string;
}

// WidgetStatusType / ConfigurationEvent values (their modules are AMD in the API package; the strings are stable).
const SUCCESS = 0;
export const CONFIGURATION_CHANGE = "ms.vss-dashboards-web.configurationChange";

async function connect(): Promise<WidgetPage> {
  const host = await initSdk({ needsProject: true });
  const web = SDK.getWebContext() as { project?: { id: string; name: string }; team?: { id: string; name: string } } | undefined;
  const project = host.project ?? web?.project;
  if (!project) throw new Error("This widget needs a project dashboard.");
  const team = web?.team?.id ? { id: web.team.id, name: web.team.name } : undefined;
  const ext = SDK.getExtensionContext();
  const base = host.collectionUrl.replace(/\/?$/, "/");
  const hubUrl: WidgetPage["hubUrl"] = (kind, query) => {
    const qs = new URLSearchParams(query).toString();
    // Project settings hubs live under _settings/, other hubs under _apps/hub/ (Azure DevOps' routes).
    const route = kind === "project-settings" ? "_settings" : "_apps/hub";
    return `${base}${encodeURIComponent(project.name)}/${route}/${ext.publisherId}.${ext.extensionId}.${kind}${qs ? `?${qs}` : ""}`;
  };
  const navigate = (url: string) => {
    void SDK.getService<IHostNavigationService>(ServiceIds.hostNavigation).then(
      (nav) => nav.navigate(url),
      () => window.open(url, "_top"),
    );
  };
  return { api: createApi(host.collectionUrl), collectionUrl: host.collectionUrl, project, team, navigate, hubUrl };
}

/** Registers the page's object under its full contribution id and its short id (hosts look up either). */
function register(instance: object) {
  const full = SDK.getContributionId();
  SDK.register(full, instance);
  const ext = SDK.getExtensionContext().id;
  if (full.startsWith(`${ext}.`)) SDK.register(full.slice(ext.length + 1), instance);
}

function mount(element: React.ReactElement) {
  ReactDOM.render(<ErrorBoundary>{element}</ErrorBoundary>, document.getElementById("root"));
}

export interface WidgetViewProps {
  settings: WidgetSettings;
  page: WidgetPage;
  /** Called once what the widget shows is settled (data or a message); ends the dashboard's load(). */
  onSettled: (state: string) => void;
}

/** Starts a widget page: load/reload render `View` with the new settings; the call resolves once it has settled. */
export function startWidget(View: React.ComponentType<WidgetViewProps>): Promise<void> {
  const page = connect();
  let generation = 0;
  const show = async (settings: WidgetSettings): Promise<WidgetStatus> => {
    const p = await page;
    const gen = ++generation;
    return new Promise<WidgetStatus>((resolve) => {
      // `key` remounts on every load: a reload never shows the previous settings' data as current.
      mount(<View key={gen} settings={settings} page={p} onSettled={(state) => resolve({ statusType: SUCCESS, state })} />);
    });
  };
  const widget = {
    preload: async (): Promise<WidgetStatus> => ({ statusType: SUCCESS }),
    load: show,
    reload: show,
  };
  return page.then(
    () => {
      register(widget);
      void SDK.notifyLoadSucceeded();
    },
    (e: Error) => {
      mount(<p className="widget-problem">Could not start the widget: {e.message}</p>);
      void SDK.notifyLoadFailed(e);
    },
  );
}

export interface ConfigViewProps<S> {
  settings: S;
  page: WidgetPage;
  onChange: (s: S) => void;
}

/**
 * Starts a widget configuration page: load() renders `Panel` with the parsed settings; every change is
 * notified to the dashboard (its live preview reloads the widget) and onSave() hands back the last one.
 */
export function startConfiguration<S extends object>(
  parse: (data: unknown) => S,
  Panel: React.ComponentType<ConfigViewProps<S>>,
): Promise<void> {
  const page = connect();
  let current: S | undefined;
  const configuration = {
    load: async (settings: WidgetSettings, context: IWidgetConfigurationContext): Promise<WidgetStatus> => {
      const p = await page;
      current = parse(settings?.customSettings?.data);
      const onChange = (s: S) => {
        current = s;
        void context.notify(CONFIGURATION_CHANGE, { data: customSettings(s) });
      };
      mount(<Panel settings={current} page={p} onChange={onChange} />);
      return { statusType: SUCCESS };
    },
    onSave: async (): Promise<SaveStatus> => (current ? { isValid: true, customSettings: customSettings(current) } : { isValid: false }),
  };
  return page.then(
    () => {
      register(configuration);
      void SDK.notifyLoadSucceeded();
    },
    (e: Error) => {
      mount(<p className="widget-problem">Could not start the configuration: {e.message}</p>);
      void SDK.notifyLoadFailed(e);
    },
  );
}
