"""The official forms of the case, printed from the registers (Decree 105/2021 Forms 07, 08, 09, 10;
Decree 116/2021 Forms 24, 51, 54), in the layout of Decree 30/2020 and in the law's words. Where the
portal does not hold a value the form leaves the blank the paper form has. Whether a form was printed
is not a state: the decision's number and date, entered once it is signed, are."""

from dataclasses import dataclass, field
from datetime import date

from portal.persons.legal_terms import KIND_LABELS, POST_REHAB_AFTER
from portal.shell.pdf import render_pdf

BLANK = "……………………"
STOPPED = {"stopped_addicted", "stopped_education", "prison", "died_missing", "compulsory_rehab"}
STOP_REASONS_VI = {
    "stopped_addicted": "được xác định là người nghiện ma túy",
    "stopped_education": "bị áp dụng biện pháp giáo dục tại xã, phường, "
    "thị trấn hoặc đưa vào cơ sở giáo dục bắt buộc, trường giáo dưỡng",
    "prison": "phải chấp hành án phạt tù",
    "died_missing": "chết hoặc bị Tòa án tuyên bố mất tích",
    "compulsory_rehab": "bị đưa vào cơ sở cai nghiện bắt buộc",
}
TITLES = {
    "07": "Quyết định áp dụng biện pháp quản lý (Mẫu 07)",
    "08": "Thông báo chuyển hồ sơ (Mẫu 08)",
    "09": "Quyết định dừng quản lý (Mẫu 09)",
    "10": "Quyết định chấm dứt quản lý (Mẫu 10)",
    "24": "Quyết định cai nghiện tự nguyện (Mẫu 24)",
    "51": "Quyết định quản lý sau cai nghiện (Mẫu 51)",
    "54": "Giấy chứng nhận hoàn thành (Mẫu 54)",
}


def forms_of(episode) -> list[str]:
    """The forms an episode prints: its decision, and the one that ended it."""
    if episode.kind == "user_managed":
        ending = ["09"] if episode.end_reason in STOPPED else ["10"] if episode.end_reason == "term_completed" else []
        return ["07", *ending]
    if episode.kind in ("rehab_home", "methadone"):
        return ["24"]
    if episode.kind == "post_rehab":
        return ["51", *(["54"] if episode.end_reason == "term_completed" else [])]
    return []


@dataclass
class Document:
    """What one official form says: its heading, its grounds, its articles and who signs."""

    kind: str  # QUYẾT ĐỊNH, THÔNG BÁO, GIẤY CHỨNG NHẬN
    summary: str
    number: str
    day: date | None
    issuer: str
    grounds: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    team: list = field(default_factory=list)
    signing_for: str = ""
    signer_title: str = "CHỦ TỊCH"
    signer_name: str = ""
    recipients: list[str] = field(default_factory=list)


def _person_line(person) -> str:
    cccd = person.cccd or BLANK
    return (
        f"Ông/Bà {person.full_name}, sinh ngày {person.born_on:%d/%m/%Y}, số định danh cá nhân (CCCD) {cccd}, "
        f"nơi cư trú: {person.address or (person.village.name if person.village else BLANK)}"
    )


def _day(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else BLANK


def _chair(episode) -> tuple[str, str]:
    """Who signs: the chair, for the People's Committee when the law makes the committee decide."""
    by_committee = (episode.decision_body or "").startswith("Ủy ban")
    return ("TM. ỦY BAN NHÂN DÂN" if by_committee else "", "CHỦ TỊCH")


def _decision(commune, episode, summary: str, closing: bool = False) -> Document:
    """The decision that opens the episode (its number, date and signer), or the one that closes it."""
    if closing:  # the register keeps no signer of the closing decision: its name is left to sign
        number, day, signer = episode.end_decision_number, episode.end_decision_on, ""
    else:
        number, day, signer = episode.decision_number, episode.decision_on, episode.decision_signer
    signing_for, title = _chair(episode)
    return Document(
        "QUYẾT ĐỊNH",
        summary,
        number or "……/QĐ-UBND",
        day,
        f"ỦY BAN NHÂN DÂN {commune.name}",
        grounds=[
            "Căn cứ Luật Tổ chức chính quyền địa phương;",
            "Căn cứ Luật Phòng, chống ma túy ngày 30 tháng 3 năm 2021;",
        ],
        signing_for=signing_for,
        signer_title=title,
        signer_name=signer,
    )


def form_07(commune, person, episode, team, positive) -> Document:
    doc = _decision(commune, episode, "Về việc quản lý người sử dụng trái phép chất ma túy")
    doc.grounds.append("Căn cứ Nghị định số 105/2021/NĐ-CP ngày 04 tháng 12 năm 2021 của Chính phủ;")
    doc.grounds.append(
        "Xét Phiếu kết quả xét nghiệm chất ma túy trong cơ thể ngày "
        f"{_day(positive.tested_on if positive else None)} và đề nghị của Trưởng Công an {commune.name},"
    )
    doc.articles = [
        f"Điều 1. Áp dụng biện pháp quản lý người sử dụng trái phép chất ma túy đối với: {_person_line(person)}. "
        f"Thời hạn quản lý: 01 năm, kể từ ngày {_day(episode.started_on)} đến ngày {_day(episode.legal_end_on)}.",
        f"Điều 2. Giao Công an {commune.name} lập danh sách, tổ chức "
        "xét nghiệm chất ma túy trong cơ thể và chủ trì quản lý. "
        "Thành lập Tổ quản lý gồm các thành viên sau:",
        "Điều 3. Quyết định có hiệu lực kể từ ngày ký. Tổ quản lý, người "
        "bị quản lý và gia đình chịu trách nhiệm thi hành Quyết định này.",
    ]
    doc.team = team
    doc.recipients = ["Như Điều 3", "Công an " + commune.name, "Lưu: VT, hồ sơ quản lý"]
    return doc


def form_09_or_10(commune, person, episode, number: str) -> Document:
    stopped = number == "09"
    summary = (
        "Về việc dừng quản lý người sử dụng trái phép chất ma túy"
        if stopped
        else "Về việc chấm dứt quản lý người sử dụng trái phép chất ma túy"
    )
    doc = _decision(commune, episode, summary, closing=True)
    doc.grounds.append("Căn cứ Nghị định số 105/2021/NĐ-CP ngày 04 tháng 12 năm 2021 của Chính phủ;")
    doc.grounds.append(
        "Căn cứ Quyết định áp dụng biện pháp quản lý số "
        f"{episode.decision_number or BLANK} ngày {_day(episode.decision_on)},"
    )
    reason = (
        STOP_REASONS_VI.get(episode.end_reason, BLANK)
        if stopped
        else "đã hết thời hạn quản lý mà không tiếp tục sử dụng trái phép chất ma túy"
    )
    verb = "Dừng" if stopped else "Chấm dứt"
    doc.articles = [
        f"Điều 1. {verb} việc quản lý người sử dụng trái phép chất ma túy đối với: "
        f"{_person_line(person)}, kể từ ngày {_day(episode.ended_on)}. Lý do: {reason}.",
        "Điều 2. Đưa người nêu tại Điều 1 ra khỏi danh sách người sử dụng trái "
        "phép chất ma túy. Quyết định được gửi trong thời hạn 03 ngày làm việc.",
        "Điều 3. Quyết định có hiệu lực kể từ ngày ký.",
    ]
    doc.recipients = ["Người có tên tại Điều 1", "Công an " + commune.name, "Lưu: VT, hồ sơ quản lý"]
    return doc


def form_24(commune, person, episode) -> Document:
    methadone = episode.kind == "methadone"
    summary = (
        "Về việc điều trị nghiện các chất dạng thuốc phiện bằng thuốc thay thế"
        if methadone
        else "Về việc cai nghiện ma túy tự nguyện tại gia đình, cộng đồng"
    )
    doc = _decision(commune, episode, summary)
    doc.grounds.append("Căn cứ Nghị định số 116/2021/NĐ-CP ngày 21 tháng 12 năm 2021 của Chính phủ;")
    doc.grounds.append(f"Xét hồ sơ đăng ký và đề nghị của Trưởng Công an {commune.name},")
    term = (
        "không xác định thời hạn (theo giai đoạn điều trị)"
        if methadone
        else f"{episode.term_months or BLANK} tháng,"
        f" từ ngày {_day(episode.started_on)} đến ngày {_day(episode.legal_end_on)}"
    )
    doc.articles = [
        f"Điều 1. {summary.removeprefix('Về việc ').capitalize()} đối với: {_person_line(person)}. Thời gian: {term}.",
        "Điều 2. Người cai nghiện, gia đình và tổ công tác cai nghiện ma túy có trách nhiệm thực hiện theo quy định.",
        "Điều 3. Quyết định có hiệu lực kể từ ngày ký.",
    ]
    doc.recipients = ["Người có tên tại Điều 1", "Công an " + commune.name, "Lưu: VT"]
    return doc


def form_51(commune, person, episode) -> Document:
    doc = _decision(commune, episode, "Về việc quản lý sau cai nghiện ma túy")
    doc.grounds.append("Căn cứ Nghị định số 116/2021/NĐ-CP ngày 21 tháng 12 năm 2021 của Chính phủ;")
    doc.grounds.append(f"Xét đề nghị của Trưởng Công an {commune.name} (Mẫu 50),")
    after = POST_REHAB_AFTER.get(episode.post_rehab_after, ("", 12))[1]
    doc.articles = [
        f"Điều 1. Quản lý sau cai nghiện ma túy tại nơi cư trú đối với: {_person_line(person)}. "
        f"Thời hạn: {after // 12:02d} năm, từ ngày {_day(episode.started_on)} đến ngày {_day(episode.legal_end_on)}.",
        "Điều 2. Công an xã lập danh sách (Mẫu 52), tổ chức xét nghiệm định kỳ hoặc đột "
        "xuất; thời gian vắng mặt không khai báo không được tính vào thời hạn quản lý.",
        "Điều 3. Quyết định có hiệu lực kể từ ngày ký.",
    ]
    doc.recipients = ["Người có tên tại Điều 1", "Công an " + commune.name, "Lưu: VT"]
    return doc


def form_54(commune, person, episode) -> Document:
    doc = _decision(commune, episode, "Hoàn thành thời gian quản lý sau cai nghiện ma túy", closing=True)
    doc.kind = "GIẤY CHỨNG NHẬN"
    doc.number = episode.end_decision_number or "……/GCN-UBND"
    doc.grounds = ["Căn cứ Nghị định số 116/2021/NĐ-CP ngày 21 tháng 12 năm 2021 của Chính phủ;"]
    doc.grounds.append(
        "Căn cứ Quyết định quản lý sau cai nghiện ma túy số "
        f"{episode.decision_number or BLANK} ngày {_day(episode.decision_on)},"
    )
    doc.articles = [
        f"Chứng nhận: {_person_line(person)}, đã hoàn thành thời gian quản lý sau cai nghiện ma túy tại nơi cư trú "
        f"từ ngày {_day(episode.started_on)} đến ngày {_day(episode.ended_on)}.",
        "Người có tên trên được đưa ra khỏi danh sách người bị quản lý sau cai nghiện ma túy.",
    ]
    doc.recipients = ["Người có tên trên", "Công an " + commune.name, "Lưu: VT"]
    return doc


def form_08(transfer, sender, receiver_name: str, person, episode) -> Document:
    """The notice that hands the file to the commune the person moved to (Decree 105 Art. 43; Decree 116 Art. 80)."""
    doc = Document(
        "THÔNG BÁO",
        "Về việc chuyển hồ sơ quản lý",
        "……/TB-CAX",
        transfer.recorded_at.date() if transfer.recorded_at else None,
        f"CÔNG AN {sender.name}",
        grounds=["Căn cứ Nghị định số 105/2021/NĐ-CP và Nghị định số 116/2021/NĐ-CP của Chính phủ,"],
        signer_title="TRƯỞNG CÔNG AN",
    )
    kind = str(KIND_LABELS.get(transfer.case_kind, ""))
    doc.articles = [
        f"Công an {sender.name} thông báo: {_person_line(person)}, đang {kind.lower()} theo Quyết định số "
        f"{(episode.decision_number if episode else '') or BLANK} "
        f"ngày {_day(episode.decision_on if episode else None)}, "
        f"đã chuyển đến cư trú tại {receiver_name} từ ngày {_day(transfer.moved_on)}.",
        f"Thời hạn còn lại đến ngày {_day(transfer.legal_end_on)}. Hồ sơ "
        "quản lý (quyết định, kết quả xét nghiệm, quá trình quản lý) "
        "được chuyển qua Cổng thông tin trong thời hạn 05 ngày làm việc.",
    ]
    doc.recipients = [receiver_name, "Lưu: hồ sơ quản lý"]
    return doc


def pdf(document: Document, settings: dict) -> bytes:
    return render_pdf("cases/pdf_form.html", doc=document, place=settings.get("place", ""))
