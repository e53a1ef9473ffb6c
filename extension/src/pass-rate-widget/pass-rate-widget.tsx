import { startWidget } from "../common/widgets/runtime";
import { PassRateWidget } from "./PassRateWidget";

void startWidget(PassRateWidget);
