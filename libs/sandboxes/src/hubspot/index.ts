/**
 * HubSpot CRM v3 sandbox (contacts, tickets, search): `startHubspotSandbox()` and its types.
 * Import as `@switchboard/sandboxes/hubspot`.
 */
export {
  DEFAULT_HUBSPOT_SANDBOX_TOKEN,
  HubspotAssociationTypeIds,
  type HubspotSandbox,
  type HubspotSandboxAssociation,
  type HubspotSandboxObject,
  type HubspotSandboxOptions,
  type HubspotSandboxRateLimits,
  type HubspotSandboxRequest,
  type HubspotSandboxState,
  type HubspotSandboxTicket,
  SANDBOX_TICKET_PIPELINES,
  startHubspotSandbox,
} from './sandbox.js';
export {
  type HubspotSearchOperator,
  HubspotSearchOperators,
  matchesFilter,
  matchesGroups,
  PHONE_PROPERTIES,
  phoneKey,
  phonesMatch,
  type SearchFilter,
} from './search.js';
