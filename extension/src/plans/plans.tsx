import * as React from "react";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { Page } from "azure-devops-ui/Page";
import { Card } from "azure-devops-ui/Card";
import { PageProvider, usePage } from "../common/context";
import { showRoot } from "../common/ui";

function Plans() {
  const { project } = usePage();
  return (
    <Page className="flex-grow">
      <Header title="TestOps Plans" description="Releases, sprints and requirement coverage" titleSize={TitleSize.Large} />
      <div className="page-content page-content-top">
        <Card titleProps={{ text: project?.name ?? "Project" }}>
          <div className="testops-section">Releases and sprints appear here once the project is linked.</div>
        </Card>
      </div>
    </Page>
  );
}

showRoot(
  <PageProvider needsProject>
    <Plans />
  </PageProvider>,
);
