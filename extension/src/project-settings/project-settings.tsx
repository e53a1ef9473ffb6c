import * as React from "react";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { Page } from "azure-devops-ui/Page";
import { Tab, TabBar, TabSize } from "azure-devops-ui/Tabs";
import { PageProvider, usePage } from "../common/context";
import { showRoot } from "../common/ui";
import { BoardsLinks } from "./boards/BoardsLinks";
import { ReposLinks } from "./repos/ReposLinks";
import { RunsTab } from "./runs/RunsTab";

type TabId = "boards" | "repos" | "runs";

/** The tab named in the page's URL (`?tab=runs`, as the pipeline task's run links say), else Boards. */
function initialTab(): TabId {
  const t = new URLSearchParams(window.location.search).get("tab");
  return t === "repos" || t === "runs" ? t : "boards";
}

/**
 * Project settings → TestOps: one tab per kind of link (Boards, Repos) under the org's connection, and
 * Test runs: results that arrived from CI (pipeline task, upload keys, import) or uploads, with push.
 */
function ProjectSettings() {
  const { project } = usePage();
  const [tab, setTab] = React.useState<TabId>(initialTab);
  return (
    <Page className="flex-grow">
      <Header title="TestOps" description={`Link ${project?.name ?? "this project"} with TestOps`} titleSize={TitleSize.Large} />
      <TabBar selectedTabId={tab} onSelectedTabChanged={(id) => setTab(id as TabId)} tabSize={TabSize.Tall}>
        <Tab id="boards" name="Boards" />
        <Tab id="repos" name="Repos" />
        <Tab id="runs" name="Test runs" />
      </TabBar>
      <div className="page-content page-content-top">
        {tab === "boards" ? <BoardsLinks /> : tab === "repos" ? <ReposLinks /> : <RunsTab />}
      </div>
    </Page>
  );
}

showRoot(
  <PageProvider needsProject>
    <ProjectSettings />
  </PageProvider>,
);
