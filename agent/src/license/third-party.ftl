<#-- The agent jar's META-INF/THIRD-PARTY.txt, rendered by license-maven-plugin from the dependencies'
     own poms. Read by AgentJarContentsTest: keep one "artifact:" and one "licence:" line per entry. -->
Tailguard agent: third-party software bundled in this jar

The agent jar contains the following ${dependencyMap?size} libraries, relocated under the package
io.tailguard.shaded so that they never meet the application's own copies. Each is distributed
under its own licence, named below with its source; Tailguard itself is under the Apache License 2.0
(META-INF/LICENSE). The licence and notice files the libraries ship in their own jars are in
META-INF/licenses/.

<#list dependencyMap as e>
<#assign p = e.getKey()/>
artifact: ${p.groupId}:${p.artifactId}:${p.version}
  name: ${p.name}
  licence: <#list e.getValue() as license>${license}<#sep>; </#sep></#list>
  url: ${p.url!"(none given)"}

</#list>
