import * as React from "react";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { Page } from "azure-devops-ui/Page";
import { Card } from "azure-devops-ui/Card";
import { PageProvider, usePage } from "../common/context";
import { showRoot } from "../common/ui";

function ProjectSettings() {
  const { project, me } = usePage();
  return (
    <Page className="flex-grow">
      <Header title="TestOps" description={`Link ${project?.name ?? "this project"} with TestOps`} titleSize={TitleSize.Large} />
      <div className="page-content page-content-top">
        <Card titleProps={{ text: project?.name ?? "Project" }}>
          <div className="testops-section">Organization: {me.organization.name}</div>
        </Card>
      </div>
    </Page>
  );
}

showRoot(
  <PageProvider needsProject>
    <ProjectSettings />
  </PageProvider>,
);
