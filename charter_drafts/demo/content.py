"""Demo content: an original draft of the Lampedusa Charter, written for demonstration only."""

from __future__ import annotations

from typing import Final, NamedTuple


class DemoClause(NamedTuple):
    key: str  # short stable id, lowercase ascii letters/digits/hyphen, e.g. "preamble"
    kind: str  # "preamble", "principle" or "commitment"
    title: str
    body: str


DEMO_SLUG: Final = "lampedusa"
DEMO_TITLE: Final = "Lampedusa Charter for community approaches to human mobility and diversity"
DEMO_SUMMARY: Final = (
    "A demonstration draft written to showcase the drafting tool; it is not the text of the "
    "actual Lampedusa Charter. It sketches principles and commitments through which local "
    "communities could help human mobility work for everyone."
)

DEMO_CLAUSES: Final[tuple[DemoClause, ...]] = (
    DemoClause(
        key="preamble",
        kind="preamble",
        title="Preamble",
        body=(
            "This is a demonstration draft prepared for a collaborative drafting tool and does "
            "not reproduce the actual Lampedusa Charter. We, the local and regional governments "
            "and partners endorsing this text, recognise that towns and cities are where people "
            "on the move first meet the communities that receive them.\n\n"
            "Taking inspiration from Lampedusa, an island that has long been a point of arrival, "
            "we set out shared principles for a rights-based, community-led approach to human "
            "mobility and diversity, and we state the commitments through which we intend to "
            "put them into practice."
        ),
    ),
    DemoClause(
        key="natural-phenomenon",
        kind="principle",
        title="Mobility as part of the human story",
        body=(
            "People have always moved in search of safety, work, learning, family or a better "
            "life, and our settlements have been shaped by these movements. We approach "
            "migration as an ordinary and enduring feature of human societies rather than as an "
            "emergency. Policies built on this understanding are better able to plan for the "
            "long term and to avoid measures driven by fear."
        ),
    ),
    DemoClause(
        key="dignity-rights",
        kind="principle",
        title="Dignity and human rights for every person",
        body=(
            "Every person present in our territories holds the same inherent dignity and the "
            "same fundamental rights, whatever their administrative status, origin or reasons "
            "for moving. Local authorities act within the framework of international human "
            "rights law and strive to ensure that no one is excluded from protection on account "
            "of their papers. Particular attention is owed to children, survivors of violence "
            "and others in situations of vulnerability."
        ),
    ),
    DemoClause(
        key="inclusive-citizenship",
        kind="principle",
        title="Local inclusive citizenship",
        body=(
            "Belonging to a local community begins with living in it. Within our competences, "
            "we seek to make access to essential public services, such as health care, "
            "education, housing support and civil registration, depend on residence rather than "
            "nationality or status.\n\n"
            "We likewise encourage all residents to take part in the civic life of the place "
            "they call home, and we regard this shared participation as the foundation of an "
            "inclusive local citizenship."
        ),
    ),
    DemoClause(
        key="social-cohesion",
        kind="principle",
        title="Social cohesion and welcoming communities",
        body=(
            "Welcome is built day by day through neighbourhoods, schools, workplaces, sports "
            "clubs and places of worship. We support spaces and programmes where long-standing "
            "and newer residents can meet, cooperate and resolve tensions. Cohesion is "
            "strengthened when public policies address the needs of all residents fairly, so "
            "that diversity is not perceived as competition for scarce resources."
        ),
    ),
    DemoClause(
        key="balanced-narratives",
        kind="principle",
        title="Balanced public narratives",
        body=(
            "The way migration is described shapes how it is experienced. We commit to public "
            "communication grounded in evidence, free of stigmatising language, and open to the "
            "voices of migrants themselves. We will work with media, educators and cultural "
            "actors to share stories that reflect both the challenges and the many "
            "contributions that mobility brings to our communities."
        ),
    ),
    DemoClause(
        key="collective-memory",
        kind="principle",
        title="A shared collective memory",
        body=(
            "Our communities carry the memory of departures and arrivals, including those of "
            "our own emigrant ancestors. We honour the women, men and children who have lost "
            "their lives at sea and along other routes, and we stand with their families in the "
            "search for truth and remembrance.\n\n"
            "Lampedusa, as a place where so many journeys have ended or begun anew, reminds us "
            "that memory must be inclusive and rooted in dignity. We encourage memorials, "
            "archives and educational initiatives that keep these histories alive for future "
            "generations."
        ),
    ),
    DemoClause(
        key="city-cooperation",
        kind="principle",
        title="Cooperation between cities and territories",
        body=(
            "No town can respond to human mobility alone. Cities and regions of departure, "
            "transit and destination benefit from exchanging knowledge, pooling resources and "
            "coordinating their action. We support city-to-city networks, peer learning and "
            "partnerships across borders, and we call on national and international "
            "institutions to recognise and resource the role of local governments."
        ),
    ),
    DemoClause(
        key="participation",
        kind="principle",
        title="Participation of migrants and civil society",
        body=(
            "Decisions affecting migrants and refugees are better when they are made with them. "
            "We seek to involve migrants, refugees, diaspora groups and civil society "
            "organisations in the design, delivery and evaluation of local policies. Consultative "
            "bodies, participatory budgeting and partnerships with grassroots associations are "
            "among the tools we intend to use and strengthen."
        ),
    ),
    DemoClause(
        key="peace-development",
        kind="principle",
        title="Mobility as a lever for peace and sustainable development",
        body=(
            "Well-governed mobility can foster understanding between peoples, support local "
            "economies and enrich cultural life. We link our local action to the Sustainable "
            "Development Goals and to international frameworks on migration and refugees, "
            "insisting that no one be left behind. By building inclusive communities, we aim "
            "to contribute to lasting peace in our region and beyond."
        ),
    ),
    DemoClause(
        key="commitments-action",
        kind="commitment",
        title="Commitments of signatory local governments",
        body=(
            "Each signatory local government undertakes to translate these principles into at "
            "least one concrete measure within its competences during the two years following "
            "its endorsement. Such measures may include facilitating access to services, "
            "supporting reception and orientation, training municipal staff, or launching "
            "local awareness initiatives.\n\n"
            "Signatories will designate a focal point responsible for coordinating this work "
            "and for liaising with civil society and other partners."
        ),
    ),
    DemoClause(
        key="commitments-follow-up",
        kind="commitment",
        title="Reporting and follow-up",
        body=(
            "Signatories agree to share a brief public report on their progress every two years, "
            "highlighting practices that can be adapted elsewhere. A follow-up mechanism, "
            "open to signatories, migrant-led organisations and civil society partners, will "
            "review these reports, facilitate exchanges and propose updates to this Charter. "
            "Signatories will meet periodically, including on Lampedusa, to take stock of the "
            "progress achieved together."
        ),
    ),
)
