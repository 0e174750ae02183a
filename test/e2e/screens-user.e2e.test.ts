/**
 * Every signed-in page of the app as the user, at a phone, a tablet and a desktop width, in a real headless
 * Chromium against the whole product (the catalog and the checks are in screens.ts).
 */
import { describeRoleScreens } from './screens.ts';

describeRoleScreens('user');
