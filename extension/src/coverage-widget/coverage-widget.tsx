import { startWidget } from "../common/widgets/runtime";
import { CoverageWidget } from "./CoverageWidget";

void startWidget(CoverageWidget);
