import * as React from "react";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { Page } from "azure-devops-ui/Page";
import { Tab, TabBar, TabSize } from "azure-devops-ui/Tabs";
import { PageProvider, usePage } from "../common/context";
import { hostQuery, setHostQuery } from "../common/sdk";
import { Loading, showRoot } from "../common/ui";
import { PlansView } from "./PlansView";

// The Traceability tab is a chunk of its own, loaded when first opened: the Plans page stays within its
// bundle budget (scripts/bundle-budget.ts) and most visits never need it.
const TraceabilityView = React.lazy(() => import("./TraceabilityView").then((m) => ({ default: m.TraceabilityView })));

/**
 * Boards → TestOps Plans: the plans (PlansView, its own page) or the traceability view of a release or sprint.
 * The page URL's `?tab=traceability&scope=<release or sprint id>` (the coverage widget's link) opens that view.
 */
function PlansHub() {
  const { project } = usePage();
  const [tab, setTab] = React.useState<"plans" | "traceability">("plans");
  const [scope, setScope] = React.useState<string | null>(null);
  React.useEffect(() => {
    void hostQuery().then((q) => {
      if (q.tab !== "traceability") return;
      setScope(q.scope || null);
      setTab("traceability");
    });
  }, []);
  const select = (id: "plans" | "traceability") => {
    setTab(id);
    void setHostQuery({ tab: id, scope: "" });
  };
  const tabs = (
    <TabBar selectedTabId={tab} onSelectedTabChanged={(id) => select(id as "plans" | "traceability")} tabSize={TabSize.Compact}>
      <Tab id="plans" name="Plans" />
      <Tab id="traceability" name="Traceability" />
    </TabBar>
  );
  if (tab === "plans")
    return (
      <div className="flex-column flex-grow">
        {tabs}
        <PlansView />
      </div>
    );
  return (
    <Page className="flex-grow testops-plans">
      {tabs}
      <Header
        title="Traceability"
        description={`Requirements of ${project?.name ?? "this project"}, their test cases, automation and latest results`}
        titleSize={TitleSize.Large}
      />
      <div className="page-content page-content-top">
        <React.Suspense fallback={<Loading label="Loading traceability…" />}>
          <TraceabilityView initialScopeId={scope} onScopeChange={(id) => void setHostQuery({ tab: "traceability", scope: id ?? "" })} />
        </React.Suspense>
      </div>
    </Page>
  );
}

showRoot(
  <PageProvider needsProject>
    <PlansHub />
  </PageProvider>,
);
