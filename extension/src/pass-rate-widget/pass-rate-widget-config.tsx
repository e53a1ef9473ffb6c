import { startConfiguration } from "../common/widgets/runtime";
import { parsePassRate } from "../common/widgets/settings";
import { PassRateConfig } from "./PassRateConfig";

void startConfiguration(parsePassRate, PassRateConfig);
