import * as React from "react";
import { ZeroData } from "azure-devops-ui/ZeroData";

/** Repos links of this project (issue: Repos link). */
export function ReposLinks() {
  return <ZeroData primaryText="No Repos link yet" secondaryText="Sync Katalon test cases and suites from Azure Repos." imageAltText="" />;
}
