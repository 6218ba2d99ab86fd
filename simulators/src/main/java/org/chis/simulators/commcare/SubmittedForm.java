package org.chis.simulators.commcare;

import java.time.Instant;
import java.util.List;

/**
 * A form HQ accepted: its instanceID, xmlns (the suite tags its own submissions by xmlns), the device and user from
 * the meta block, the cases its blocks touched, and the raw XML (null for Case API writes).
 */
public record SubmittedForm(String instanceId, String xmlns, String name, String appId, String deviceId, String userId,
                            String username, Instant receivedOn, List<String> caseIds, String xml) {}
