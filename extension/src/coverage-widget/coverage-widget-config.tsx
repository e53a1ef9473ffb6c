import { startConfiguration } from "../common/widgets/runtime";
import { parseCoverage } from "../common/widgets/settings";
import { CoverageConfig } from "./CoverageConfig";

void startConfiguration(parseCoverage, CoverageConfig);
