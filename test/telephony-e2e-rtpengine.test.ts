// Real calls end to end with rtpengine as the media plane (the suite: telephony-e2e.suite.ts).
import { e2eSuite } from './telephony-e2e.suite.ts';

e2eSuite('rtpengine');
