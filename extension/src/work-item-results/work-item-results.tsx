import * as React from "react";
import { showRoot } from "../common/ui";
import { WorkItemResultsPage } from "./WorkItemResults";

showRoot(<WorkItemResultsPage />);
