import * as React from "react";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { Page } from "azure-devops-ui/Page";
import { Tab, TabBar, TabSize } from "azure-devops-ui/Tabs";
import { PageProvider, usePage } from "../common/context";
import { hostQuery, setHostQuery } from "../common/sdk";
import { showRoot } from "../common/ui";
import { BoardsLinks } from "./boards/BoardsLinks";
import { ReposLinks } from "./repos/ReposLinks";
import { RunsTab } from "./runs/RunsTab";

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
        {tab === "boards" ? (
          <BoardsLinks />
        ) : tab === "repos" ? (
          <ReposLinks />
        ) : (
          <RunsTab initialRunId={query.runId || null} onRunChange={(runId) => void setHostQuery({ tab: "runs", runId: runId ?? "" })} />
        )}
      </div>
    </Page>
  );
}

showRoot(
  <PageProvider needsProject>
    <ProjectSettings />
  </PageProvider>,
);
