import * as React from "react";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { Page } from "azure-devops-ui/Page";
import { Tab, TabBar, TabSize } from "azure-devops-ui/Tabs";
import { PageProvider, usePage } from "../common/context";
import { showRoot } from "../common/ui";
import { BoardsLinks } from "./boards/BoardsLinks";
import { ReposLinks } from "./repos/ReposLinks";

/** Project settings → TestOps: one tab per kind of link (Boards, Repos) under the org's connection. */
function ProjectSettings() {
  const { project } = usePage();
  const [tab, setTab] = React.useState<"boards" | "repos">("boards");
  return (
    <Page className="flex-grow">
      <Header title="TestOps" description={`Link ${project?.name ?? "this project"} with TestOps`} titleSize={TitleSize.Large} />
      <TabBar selectedTabId={tab} onSelectedTabChanged={(id) => setTab(id as "boards" | "repos")} tabSize={TabSize.Tall}>
        <Tab id="boards" name="Boards" />
        <Tab id="repos" name="Repos" />
      </TabBar>
      <div className="page-content page-content-top">{tab === "boards" ? <BoardsLinks /> : <ReposLinks />}</div>
    </Page>
  );
}

showRoot(
  <PageProvider needsProject>
    <ProjectSettings />
  </PageProvider>,
);
