import * as React from "react";
import { showRoot } from "../common/ui";
import { WorkItemResultsPage } from "./WorkItemResults";

// Sized by its content, not the frame (see work-item-results.css): the frame can then shrink.
document.documentElement.classList.add("wir-page");
showRoot(<WorkItemResultsPage />);
