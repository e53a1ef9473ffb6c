import * as React from "react";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { Page } from "azure-devops-ui/Page";
import { Tab, TabBar, TabSize } from "azure-devops-ui/Tabs";
import { PageProvider, usePage } from "../common/context";
import { hostQuery, setHostQuery } from "../common/sdk";
import { Loading, showRoot } from "../common/ui";
import { BoardsLinks } from "./boards/BoardsLinks";

// Boards, the tab a visit opens by default, is part of the page; Repos and Test runs are chunks of their
// own, loaded when their tab opens (or the URL's ?tab= opens it), so the first load stays within its
// bundle budget (scripts/bundle-budget.ts).
const ReposLinks = React.lazy(() => import("./repos/ReposLinks").then((m) => ({ default: m.ReposLinks })));
const RunsTab = React.lazy(() => import("./runs/RunsTab").then((m) => ({ default: m.RunsTab })));

type TabId = "boards" | "repos" | "runs";

/**
 * Project settings → TestOps: one tab per kind of link (Boards, Repos) under the org's connection, and
 * Test runs: results that arrived from CI (pipeline task, upload keys, import) or uploads, with push.
 * The page URL's `?tab=runs&runId=…` (the link the pipeline task prints) opens that run.
 */
function ProjectSettings() {
  const { project } = usePage();
  const [query, setQuery] = React.useState<Record<string, string>>();
  const [tab, setTab] = React.useState<TabId>("boards");
  React.useEffect(() => {
    void hostQuery().then((q) => {
      if (q.tab === "repos" || q.tab === "runs") setTab(q.tab);
      setQuery(q);
    });
  }, []);
  if (!query) return null;
  const select = (id: TabId) => {
    setTab(id);
    void setHostQuery({ tab: id, runId: "" });
  };
  return (
    <Page className="flex-grow">
      <Header title="TestOps" description={`Link ${project?.name ?? "this project"} with TestOps`} titleSize={TitleSize.Large} />
      <TabBar selectedTabId={tab} onSelectedTabChanged={(id) => select(id as TabId)} tabSize={TabSize.Tall}>
        <Tab id="boards" name="Boards" />
        <Tab id="repos" name="Repos" />
        <Tab id="runs" name="Test runs" />
      </TabBar>
      <div className="page-content page-content-top">
        <React.Suspense fallback={<Loading />}>
          {tab === "boards" ? (
            <BoardsLinks />
          ) : tab === "repos" ? (
            <ReposLinks />
          ) : (
            <RunsTab initialRunId={query.runId || null} onRunChange={(runId) => void setHostQuery({ tab: "runs", runId: runId ?? "" })} />
          )}
        </React.Suspense>
      </div>
    </Page>
  );
}

showRoot(
  <PageProvider needsProject>
    <ProjectSettings />
  </PageProvider>,
);
