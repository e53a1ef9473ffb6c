import * as React from "react";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { Page } from "azure-devops-ui/Page";
import { Card } from "azure-devops-ui/Card";
import { PageProvider, usePage } from "../common/context";
import { showRoot } from "../common/ui";

function OrgSettings() {
  const { me } = usePage();
  return (
    <Page className="flex-grow">
      <Header title="TestOps" description="Azure DevOps connection for this organization" titleSize={TitleSize.Large} />
      <div className="page-content page-content-top">
        <Card titleProps={{ text: me.organization.name }}>
          <div className="testops-section">
            {me.isOrgAdmin ? "You administer this organization." : "Only organization administrators can change the connection."}
          </div>
        </Card>
      </div>
    </Page>
  );
}

showRoot(
  <PageProvider>
    <OrgSettings />
  </PageProvider>,
);
