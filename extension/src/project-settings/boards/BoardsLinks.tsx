import * as React from "react";
import { ZeroData } from "azure-devops-ui/ZeroData";

/** Boards links of this project (issue: Boards link wizard). */
export function BoardsLinks() {
  return <ZeroData primaryText="No Boards link yet" secondaryText="Link this project's work items with TestOps." imageAltText="" />;
}
