"""Word lists and free-text templates for the ``kommun`` sample (Swedish social services).

Everything here is invented for the sample. Templates use ``str.format`` fields that
``generate.py`` fills in; some deliberately carry personal data (names, phone numbers,
addresses) the way real case notes do, so that a cloning tool has free text worth scrubbing.
"""

from __future__ import annotations

MONTHS_SV = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)

LANGUAGE_NAMES_SV = {
    "sv": "svenska", "ar": "arabiska", "so": "somaliska", "fi": "finska", "en": "engelska",
    "fa": "persiska", "ti": "tigrinja", "pl": "polska", "bs": "bosniska", "tr": "turkiska",
    "ku": "kurdiska",
}

# Names for households whose preferred language is not Swedish: (female, male, family names).
# Swedish names come from Faker's sv_SE provider.
NAMES_BY_LANGUAGE: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "ar": (
        ("Fatima", "Aisha", "Mariam", "Nour", "Layla", "Hiba", "Rana", "Yasmin", "Zainab", "Salma"),
        ("Mohammed", "Ahmad", "Ali", "Omar", "Hassan", "Yusuf", "Khaled", "Karim", "Mustafa",
         "Ibrahim"),
        ("Al-Hassan", "Haddad", "Khalil", "Mansour", "Saleh", "Abbas", "Hamdan", "Nasser",
         "Darwish", "Yousef", "Jaber", "Aziz"),
    ),
    "so": (
        ("Hodan", "Faadumo", "Hawa", "Ayaan", "Ifrah", "Sahra", "Nimco", "Ubah", "Hibo", "Asha"),
        ("Abdi", "Abdullahi", "Mohamed", "Khadar", "Warsame", "Abdirahman", "Yasin", "Guled",
         "Mahad", "Liban"),
        ("Warsame", "Farah", "Osman", "Jama", "Hersi", "Abdi", "Mohamud", "Nur", "Ismail", "Egal"),
    ),
    "fi": (
        ("Aino", "Tuula", "Sirpa", "Marjatta", "Pirjo", "Riitta", "Anneli", "Satu", "Tiina",
         "Helmi"),
        ("Matti", "Pekka", "Jukka", "Kari", "Timo", "Heikki", "Juha", "Seppo", "Eero", "Veikko"),
        ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen",
         "Koskinen", "Järvinen", "Lehtonen"),
    ),
    "fa": (
        ("Maryam", "Shirin", "Parisa", "Leila", "Nasrin", "Roya", "Sara", "Azadeh", "Mina",
         "Zahra"),
        ("Reza", "Ali", "Hossein", "Mehdi", "Amir", "Dariush", "Farid", "Kaveh", "Babak", "Omid"),
        ("Ahmadi", "Hosseini", "Karimi", "Rahimi", "Moradi", "Rezaei", "Jafari", "Sadeghi",
         "Mohammadi", "Tehrani"),
    ),
    "ti": (
        ("Senait", "Helen", "Selam", "Meron", "Rahel", "Tsega", "Mebrat", "Saba", "Winta",
         "Freweini"),
        ("Yonas", "Dawit", "Tesfay", "Samuel", "Berhane", "Filmon", "Habtom", "Mulugeta", "Kidane",
         "Robel"),
        ("Tesfamariam", "Haile", "Gebremedhin", "Berhe", "Kidane", "Tekle", "Woldu", "Ghebre",
         "Asmerom", "Mehari"),
    ),
    "pl": (
        ("Anna", "Katarzyna", "Magdalena", "Agnieszka", "Joanna", "Ewa", "Małgorzata", "Monika",
         "Zofia", "Natalia"),
        ("Piotr", "Krzysztof", "Tomasz", "Paweł", "Marcin", "Michał", "Łukasz", "Jakub", "Andrzej",
         "Kamil"),
        ("Nowak", "Wójcik", "Kowalczyk", "Mazur", "Krawczyk", "Kaczmarek", "Zając", "Wróbel",
         "Pawlak", "Michalak"),
    ),
    "bs": (
        ("Amra", "Lejla", "Emina", "Selma", "Aida", "Merima", "Jasmina", "Alma", "Elma",
         "Nermina"),
        ("Adnan", "Amir", "Edin", "Haris", "Kemal", "Mirza", "Nermin", "Senad", "Tarik", "Admir"),
        ("Hodžić", "Hadžić", "Begić", "Delić", "Mehmedović", "Kovačević", "Hasanović",
         "Salihović", "Mujić", "Ibrahimović"),
    ),
    "tr": (
        ("Ayşe", "Elif", "Zeynep", "Fatma", "Emine", "Hatice", "Merve", "Esra", "Derya", "Gül"),
        ("Mehmet", "Mustafa", "Ahmet", "Emre", "Hakan", "Murat", "Serkan", "Burak", "Kemal",
         "Osman"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan",
         "Doğan"),
    ),
    "ku": (
        ("Rojda", "Berivan", "Dilan", "Zozan", "Hêvî", "Nazdar", "Shilan", "Rezan", "Delal",
         "Jiyan"),
        ("Rebin", "Dilshad", "Shvan", "Karwan", "Hawar", "Azad", "Baran", "Serhat", "Rojhat",
         "Zana"),
        ("Barzani", "Rashid", "Hamid", "Mahmoud", "Qadir", "Kurdi", "Saleh", "Mustafa", "Ahmed",
         "Aziz"),
    ),
    "en": (
        ("Emily", "Sarah", "Jessica", "Emma", "Olivia", "Hannah", "Laura", "Rachel", "Grace",
         "Chloe"),
        ("James", "Daniel", "Michael", "Thomas", "David", "Matthew", "Andrew", "Ryan", "Oliver",
         "Jack"),
        ("Smith", "Brown", "Wilson", "Taylor", "Johnson", "Walker", "Wright", "Thompson", "Evans",
         "Roberts"),
    ),
}

# ---------------------------------------------------------------------------------------------
# Case summaries, one list per case category.
# Fields: {month} {year} {first_name} {age} {source} {pronoun}
# ---------------------------------------------------------------------------------------------

EB_SITUATIONS = (
    "Sökande är arbetslös och inskriven på Arbetsförmedlingen.",
    "Sökande väntar på beslut om sjukpenning från Försäkringskassan.",
    "Hushållets inkomster ligger under riksnormen.",
    "Sökande har nyligen separerat och saknar egen inkomst.",
    "Sökande läser SFI och etableringsersättningen täcker inte hyran.",
    "Sökande har hyresskuld och risk för vräkning.",
    "Sökande är sjukskriven utan ersättning sedan {month}.",
    "Sökande har avslutat anställning och väntar på a-kassa.",
    "Hushållet har fått höjd hyra och klarar inte de löpande kostnaderna.",
)

SUMMARY_TEMPLATES: dict[str, tuple[str, ...]] = {
    "ekonomiskt bistånd": (
        "Ansökan om försörjningsstöd för {month} {year}. {situation}",
        "Ansökan om ekonomiskt bistånd. {situation}",
        "Nyansökan försörjningsstöd. {situation} Behov av budget- och skuldrådgivning.",
        "Ansökan om bistånd till {item}. {situation}",
    ),
    "barn och unga": (
        "Orosanmälan från {source} avseende {first_name}, {age} år. {concern}",
        "Orosanmälan inkommen från {source}. {concern} Förhandsbedömning inledd.",
        "Utredning enligt 11 kap. 1 § SoL avseende {first_name}. {concern}",
    ),
    # barn och unga when the family itself asked for help
    "barn och unga/application": (
        "Ansökan från vårdnadshavare om stöd för {first_name} ({age} år). {concern}",
        "Vårdnadshavare ansöker om familjebehandling. {concern}",
    ),
    "missbruk": (
        "Ansökan om behandling för {substance}. {extra}",
        "Anmälan från {source} om missbruk av {substance}. {extra}",
        "Sökande vill ha stöd att bryta sitt beroende av {substance}. {extra}",
    ),
    "våld i nära relationer": (
        "Sökande uppger att {pronoun} utsatts för våld av {perpetrator}. "
        "Behov av skyddat boende utreds.",
        "Polisanmälan om våld i nära relation. "
        "{first_name} har kontaktat socialtjänsten via {source}.",
        "Sökande utsatt för hot och kontroll av {perpetrator}. Stödsamtal och säkerhetsplanering.",
    ),
    "socialpsykiatri": (
        "Ansökan om boendestöd. Sökande har {diagnosis} och behöver stöd i vardagen.",
        "Remiss från psykiatrin. {first_name} har {diagnosis} och saknar sysselsättning.",
        "Ansökan om sysselsättning och boendestöd efter utskrivning från slutenvården.",
    ),
    "äldreomsorg": (
        "Ansökan om {elder_service}. Sökande är {age} år och {elder_situation}.",
        "Ansökan om {elder_service} inkommen via {source}. {first_name} {elder_situation}.",
        "Vårdplanering inför utskrivning. Behov av {elder_service}.",
    ),
    "LSS": (
        "Ansökan om {lss_service} enligt LSS. {lss_situation}",
        "Ansökan om {lss_service} för {first_name}, {age} år. {lss_situation}",
        "Begäran om omprövning av {lss_service}. {lss_situation}",
    ),
}

EB_ITEMS = ("tandvård", "glasögon", "elräkning", "hemutrustning", "begravningskostnader")

# Concerns by the child's age at the report: (minimum age, text).
CHILD_CONCERNS = (
    (0, "Uppgifter om bristande omsorg i hemmet."),
    (0, "Misstanke om missbruk hos vårdnadshavare."),
    (0, "Konflikter mellan vårdnadshavarna påverkar barnet."),
    (0, "Barnet har bevittnat våld i hemmet."),
    (3, "Förskolan har sett blåmärken på barnet vid flera tillfällen."),
    (7, "Hög skolfrånvaro sedan höstterminen."),
    (7, "Barnet har berättat för skolsköterskan om våld i hemmet."),
    (12, "Ungdomen har vid upprepade tillfällen påträffats ute sent på kvällen."),
    (13, "Misstanke om att ungdomen använder narkotika."),
    (13, "Ungdomen har gripits för snatteri."),
)

# Modern Swedish given names for people born from 2000 on (Faker's lists lean older).
YOUNG_SWEDISH_NAMES = (
    ("Alice", "Maja", "Elsa", "Astrid", "Wilma", "Freja", "Olivia", "Ella", "Ebba", "Alma",
     "Vera", "Selma", "Saga", "Stella", "Agnes", "Signe", "Lilly", "Nova", "Clara", "Ellie"),
    ("William", "Noah", "Hugo", "Lucas", "Liam", "Oscar", "Elias", "Adam", "Matteo", "Nils",
     "Alexander", "Theo", "Leo", "Ludvig", "Vincent", "Harry", "Olle", "Charlie", "Frank",
     "Isak"),
)

SOURCES_SV = {
    "school": "skolan",
    "preschool": "förskolan",
    "police": "polisen",
    "healthcare": "hälso- och sjukvården",
    "relative": "anhörig",
    "self": "den enskilde",
    "anonymous": "anonym anmälare",
    "other_authority": "annan myndighet",
    "organisation": "kvinnojouren",
    "employment_service": "Arbetsförmedlingen",
}

SUBSTANCES = ("alkohol", "cannabis", "amfetamin", "opioider", "bensodiazepiner", "spel om pengar")
SUBSTANCE_EXTRA = (
    "Tidigare behandling avbröts.",
    "Sökande är motiverad till öppenvård.",
    "Anhöriga är oroliga.",
    "Sökande har även skulder.",
    "Behov av avgiftning bedöms.",
)
PERPETRATORS = ("tidigare partner", "nuvarande partner", "en familjemedlem", "en släkting")
DIAGNOSES = (
    "en diagnos inom autismspektrumet", "bipolär sjukdom", "schizofreni", "ADHD",
    "svår depression och ångest",
)
ELDER_SERVICES = ("hemtjänst", "trygghetslarm", "särskilt boende", "korttidsvistelse",
                  "matdistribution")
ELDER_SITUATIONS = (
    "bor ensam sedan maken avled", "har tilltagande minnessvikt", "skrivs ut efter en fallolycka",
    "klarar inte längre personlig hygien på egen hand", "har nedsatt syn och rörlighet",
)
LSS_SERVICES = ("daglig verksamhet", "bostad med särskild service", "korttidsvistelse",
                "ledsagarservice", "kontaktperson", "personlig assistans")
LSS_SITUATIONS = (
    "Sökande har en intellektuell funktionsnedsättning.",
    "Läkarintyg bifogas.",
    "Vårdnadshavare ansöker för barnets räkning.",
    "God man har ansökt för den enskildes räkning.",
    "Nuvarande insats motsvarar inte behovet.",
)

# ---------------------------------------------------------------------------------------------
# Decision motivations.
# ---------------------------------------------------------------------------------------------

GRANT_REASONS: dict[str, tuple[str, ...]] = {
    "ekonomiskt bistånd": (
        "Sökande saknar egna inkomster och kan inte tillgodose sitt behov på annat sätt.",
        "Hushållets inkomster understiger riksnormen för perioden.",
        "Kostnaden bedöms som skälig och nödvändig för en skälig levnadsnivå.",
    ),
    "barn och unga": (
        "Insatsen bedöms vara till barnets bästa.",
        "Vårdnadshavarna samtycker till insatsen.",
        "Barnets behov av stöd och skydd kan inte tillgodoses i hemmet.",
    ),
    "missbruk": (
        "Sökande har behov av behandling och är motiverad.",
        "Behandlingen bedöms ge sökande förutsättningar att bryta missbruket.",
    ),
    "våld i nära relationer": (
        "Sökande bedöms ha ett akut skyddsbehov.",
        "Behovet av skydd och stöd kan inte tillgodoses på annat sätt.",
    ),
    "socialpsykiatri": (
        "Sökande har behov av stöd för att klara vardagen i det egna boendet.",
        "Insatsen bedöms bidra till ett mer självständigt liv.",
    ),
    "äldreomsorg": (
        "Sökande har behov av stöd för att kunna bo kvar hemma.",
        "Behovet kan inte tillgodoses på annat sätt.",
        "Sökande har omfattande omvårdnadsbehov dygnet runt.",
    ),
    "LSS": (
        "Sökande tillhör personkretsen enligt 1 § LSS och har behov av insatsen.",
        "Insatsen tillförsäkrar sökande goda levnadsvillkor.",
    ),
}

PARTLY_REASONS_COMMON = (
    "Delvis bifall. Behovet bedöms kunna tillgodoses i lägre omfattning än ansökt.",
    "Delvis bifall. Insatsen beviljas för en kortare period än ansökt.",
)
PARTLY_REASONS: dict[str, tuple[str, ...]] = {
    "ekonomiskt bistånd": (
        "Delvis bifall. Kostnaden för bredband och hemförsäkring ingår redan i riksnormen.",
        "Delvis bifall. Hyran överstiger skälig boendekostnad och godtas endast delvis.",
        "Delvis bifall. Endast den akuta delen av tandvården beviljas.",
    ),
    "missbruk": ("Delvis bifall. Behandling beviljas i öppenvård i stället för på institution.",),
    "äldreomsorg": ("Delvis bifall. Hemtjänst beviljas med färre timmar än ansökt.",),
    "LSS": ("Delvis bifall. Korttidsvistelse beviljas färre dygn per månad än ansökt.",),
}

REJECT_REASONS_COMMON = (
    "Avslag. Behovet bedöms kunna tillgodoses på annat sätt.",
    "Avslag. Sökande har inte inkommit med begärda underlag.",
    "Avslag. Behovet tillgodoses genom befintliga insatser.",
)
REJECT_REASONS: dict[str, tuple[str, ...]] = {
    "ekonomiskt bistånd": (
        "Avslag. Hushållets inkomster överstiger riksnormen.",
        "Avslag. Sökande har inte stått till arbetsmarknadens förfogande.",
        "Avslag. Sökande har tillgångar som kan användas för att täcka behovet.",
    ),
    "LSS": ("Avslag. Sökande bedöms inte tillhöra personkretsen enligt 1 § LSS.",),
    "äldreomsorg": ("Avslag. Sökande bedöms kunna klara den dagliga livsföringen själv.",),
}

TERMINATION_REASONS = (
    "Insatsen upphör då behovet inte längre kvarstår.",
    "Insatsen upphör på den enskildes egen begäran.",
    "Insatsen upphör då den enskilde flyttat från kommunen.",
    "Insatsen upphör då målen i genomförandeplanen är uppnådda.",
)

APPEAL_NOTICE = " Beslutet kan överklagas hos förvaltningsrätten inom tre veckor."

# ---------------------------------------------------------------------------------------------
# Case notes (journalanteckningar), by note type.
# Fields: {name} {phone} {email} {date} {address} {colleague} {interpreter} {doc}
# ---------------------------------------------------------------------------------------------

NOTE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "phone": (
        "Telefonsamtal med {name}. Frågade när beslutet kommer. Informerat om handläggningstiden.",
        "Telefonsamtal med {name}. Bokat nytt besök {date}.",
        "{name} ringde och meddelade nytt telefonnummer {phone}.",
        "Samtal med skolkurator angående {name}s närvaro. Kurator återkommer.",
        "Sökt {name} på {phone} utan svar. Lämnat meddelande.",
        "Telefonsamtal med {name}. Informerat om att komplettering saknas.",
    ),
    "meeting": (
        "Besök på kontoret med {name}{interpreter}. Genomgång av ansökan och underlag.",
        "Uppföljningsmöte med {name}{interpreter}. Insatsen fungerar enligt plan.",
        "Nätverksmöte med {name}, skola och BUP. Överenskommelse om fortsatt samverkan.",
        "Besök med {name}{interpreter}. Upprättat genomförandeplan.",
    ),
    "home_visit": (
        "Hembesök på {address}. Bostaden i ordnat skick. Samtal med {name}.",
        "Hembesök hos {name} på {address} tillsammans med {colleague}.",
        "Hembesök. {name} visade runt. Behov av hjälp med städning och inköp bedöms.",
    ),
    "letter": (
        "Brev skickat till {name} med begäran om komplettering: {doc}.",
        "Beslut skickat till {name} med information om hur man överklagar.",
        "Kallelse till möte {date} skickad till {name}.",
    ),
    "email": (
        "E-post från {name} ({email}): skickar {doc}.",
        "E-post till {name} ({email}) med bekräftelse på bokat besök {date}.",
    ),
    "internal": (
        "Ärendet dragits på ärendedragning med {colleague}. Utredningen fortsätter.",
        "Konsultation med {colleague}. Bedömning: insatsen följs upp om tre månader.",
        "Journalanteckning: underlag granskade, inga oklarheter.",
        "Ärendet överlämnat till {colleague} under semesterperioden.",
    ),
}

REQUESTED_DOCS = (
    "kontoutdrag för de senaste tre månaderna", "hyresavi", "läkarintyg",
    "beslut från Försäkringskassan", "lönespecifikation", "hyreskontrakt",
)
