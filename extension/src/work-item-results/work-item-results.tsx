import * as React from "react";
import { PageProvider } from "../common/context";
import { SDK } from "../common/sdk";
import { showRoot } from "../common/ui";

/** Work item form group: the test results linked to the open work item. */
function WorkItemResults() {
  const [workItemId, setWorkItemId] = React.useState<number | undefined>();
  React.useEffect(() => {
    SDK.register(SDK.getContributionId(), () => ({
      onLoaded: (args: { id: number }) => setWorkItemId(args.id),
      onUnloaded: () => setWorkItemId(undefined),
    }));
  }, []);
  return <div className="padding-8">{workItemId ? `Work item ${workItemId}` : "Save the work item to see its test results."}</div>;
}

showRoot(
  <PageProvider>
    <WorkItemResults />
  </PageProvider>,
);
