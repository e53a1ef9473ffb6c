import * as React from "react";
import { PageProvider } from "../common/context";
import { showRoot } from "../common/ui";
import { PlansView } from "./PlansView";

showRoot(
  <PageProvider needsProject>
    <PlansView />
  </PageProvider>,
);
