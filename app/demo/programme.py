"""Demo content of the programme services: articles written from the seed documents (titles, issuing bodies and
dates as the seeds give them, summaries in our own words), a 宣贯 event, and a directory of service providers.

Only two of the seed documents are in the repository (Fujian's 《实施方案》 and Beijing's 全流程服务 plan); neither
text carries a web address, so no source links are invented. Providers other than the two the Fujian plan names
(省药检院 and the 创新服务站) are labelled 演示 and are not real organisations.
"""
from __future__ import annotations

from datetime import date, timedelta

from app.accounts.models import User
from app.core.models import utcnow
from app.extensions import db
from app.programme import articles, resources
from app.programme.models import Article, Provider

FUJIAN = "福建省药品监督管理局"

ARTICLES = [
    dict(category="policy", title="福建省医疗器械临床研究成果转化实施方案（春雨行动）", issuing_body=FUJIAN,
         owner_unit="省药监局医疗器械注册管理处（工作专班）", owner_contact="见省药监局官网公布的联系方式",
         tags="春雨行动，成果转化，实施方案",
         summary="以临床价值为导向，搭建服务医务人员与企业的成果转化平台：项目需求提报（附件1）、初核入库、"
                 "关联匹配与签约（附件2）、产品培育与全链条帮扶。",
         body="## 要点\n\n- **实施单位**：省药监局会同省卫健委、省医保局，联合医疗器械创新福建服务站、省药检院。\n"
              "- **工作进度**：宣贯阶段（2025年5月—6月）；项目筛选和关联匹配阶段（2025年6月—12月）；"
              "产品培育阶段（2025年8月起，长期）。\n"
              "- **培育评估指标**：技术先进性、产品定型程度、临床应用潜力、合作企业能力。\n"
              "- **帮扶方式**：提前介入、一企一策、全程指导、研审联动；符合条件的优先推荐审评前置、"
              "创新医疗器械特别审查和省药监局重点帮扶。\n\n"
              "本摘要由平台编写，条文以省药监局发布的原文为准。"),
    dict(category="policy", title="关于印发《北京市关于进一步优化创新医疗器械全流程服务的工作方案》的通知",
         issuing_body="北京市科学技术委员会、中关村科技园区管理委员会等八部门", issued_on=date(2024, 8, 20),
         owner_unit="北京市科委、中关村管委会", owner_contact="以原文所列责任部门为准",
         tags="全流程服务，创新医疗器械，北京",
         summary="围绕研发、临床试验、注册上市、生产落地、入院应用各环节建立全流程服务机制，"
                 "目标到2026年新增获批上市创新医疗器械30个。（2024年9月13日发布）",
         body="## 可借鉴的做法\n\n- 动态跟踪、研审用联动、全程服务的“握手接力”机制。\n"
              "- 注册检验“随送随检”，提供注册申报前技术指导与生产现场指导。\n"
              "- 协调概念验证、工程化研发、动物实验、检验检测及委托生产等第三方服务资源。\n\n"
              "本摘要由平台编写，供参考；以发布部门原文为准。"),
    dict(category="cooperation", title="院企合作的六种方式", issuing_body="医疗器械创新福建服务站",
         tags="合作方式，附件2",
         summary="附件2 列出的合作方式：技术转让、技术入股、联合开发、委托研发、委托团队或专家长期技术服务、"
                 "共建新研发或生产实体。",
         body="1. **技术转让**：知识产权一次性或分期转让给企业。\n2. **技术入股**：以技术作价入股。\n"
              "3. **联合开发**：双方共同投入、共享成果。\n4. **委托研发**：企业委托医疗机构团队研发。\n"
              "5. **委托团队、专家长期技术服务**。\n6. **共建新研发、生产实体**。\n\n"
              "签约后由企业在平台填报《企业意向临床研究成果转化项目对接表》。"),
    dict(category="registration", title="从样品到注册：申报流程一览", issuing_body="医疗器械创新福建服务站",
         tags="注册检验，临床试验，注册申报",
         summary="产品定型 → 注册检验 → 临床评价或临床试验 → 注册申报 → 获批上市 → 生产许可，每一步可在平台申请服务。",
         body="| 步骤 | 平台上可申请的服务 |\n|---|---|\n| 产品定型 | 技术标准指导、工程化研发资源 |\n"
              "| 注册检验 | 检验检测（省药检院或目录中的机构） |\n| 临床试验 | 临床试验机构对接、人类遗传资源申报辅导 |\n"
              "| 注册申报 | 审评前置咨询、创新医疗器械特别审查申报、优先审批 |\n"),
    dict(category="faq", title="常见问题：申报创新医疗器械特别审查需要什么条件？", issuing_body="医疗器械创新福建服务站",
         tags="特别审查，专利",
         summary="核心技术须取得中国发明专利（或申请已公开并有检索报告），产品基本定型，且国内首创、临床价值显著。",
         body="在平台提出“创新医疗器械特别审查申报”服务申请时，系统会逐项核对：\n\n"
              "- 核心技术中国发明专利已授权，或已公开并取得检索报告；\n- 已完成前期研究并具有基本定型产品；\n"
              "- 国内首创性及显著临床应用价值的说明。\n\n缺项会列在“提交前核对清单”中。"),
    dict(category="faq", title="常见问题：项目信息在平台上谁能看到？", issuing_body="医疗器械创新福建服务站",
         tags="保密，信息展示",
         summary="入库项目对公众只展示名称及部分信息；结构组成、工作原理、联系方式等仅对接受意向的合作企业开放。",
         body="平台严格保守企业与研制机构的秘密。服务申请及其材料仅申请双方与服务站可见。"),
    dict(category="notice", title="关于开放临床研究成果转化项目申报端口的通知", issuing_body=FUJIAN,
         tags="项目申报，附件1",
         summary="医疗机构或医务人员可在平台填报《医疗机构临床研究成果转化项目需求表》，经初核的项目入库展示。",
         body="请医务人员注册后在“提报项目”中填写附件1，所在医疗机构开展院内审核的，先经院内审核。"),
]

EVENT = dict(category="event", title="《实施方案》政策宣贯会", issuing_body=FUJIAN, event_place="福州市（线上同步直播）",
             registration_open=True, capacity=200, tags="宣贯，院企合作",
             summary="解读《实施方案》政策、院企合作模式和注册申报流程，现场答疑。",
             body="**议程**\n\n1. 《实施方案》政策解读\n2. 院企合作模式介绍\n3. 注册申报流程与审评前置\n4. 答疑交流")

PROVIDERS = [
    dict(name="福建省食品药品质量检验研究院（省药检院）", kind="testing", region="福州市",
         services="医疗器械注册检验、委托检验；标准研究、产品改进技术支撑；创新产品随送随检。",
         qualifications="CMA、CNAS（以其公布的能力范围为准）", scope_types=["active", "passive", "ivd"],
         turnaround="随送随检，以受理通知为准"),
    dict(name="医疗器械创新福建服务站", kind="regulatory", region="福州市",
         services="审评前置咨询、技术标准指导、研审联动、创新医疗器械特别审查申报辅导。", turnaround="5个工作日内答复"),
    dict(name="（演示）闽江概念验证中心", kind="proof_of_concept", region="福州市", services="原理样机、可行性验证。",
         turnaround="4–8周", price_range="5–20万元"),
    dict(name="（演示）海西医疗器械工程化研发平台", kind="engineering", region="厦门市",
         services="结构与电子设计、样机试制、设计验证。", turnaround="2–6个月"),
    dict(name="（演示）东南实验动物中心", kind="animal", region="福州市", services="大动物植入、有效性与安全性动物实验。",
         qualifications="GLP（演示）", turnaround="3–6个月"),
    dict(name="（演示）厦门有源器械检测实验室", kind="testing", region="厦门市", services="电气安全、电磁兼容检测。",
         qualifications="CMA、CNAS（演示）", scope_types=["active"], turnaround="4–8周", price_range="3–15万元"),
    dict(name="（演示）福建医科大学附属临床试验机构", kind="clinical_site", region="福州市",
         services="医疗器械临床试验。", filing_number="演示备案号-0001", turnaround="立项至启动约12周"),
    dict(name="（演示）泉州医疗器械CDMO", kind="cmo", region="泉州市", services="委托生产（CMO/CDMO）、洁净车间。",
         qualifications="医疗器械生产许可（演示）"),
    dict(name="（演示）榕城知识产权代理所", kind="ip", region="福州市", services="专利检索、发明专利申请与布局。",
         turnaround="递交约2周", price_range="0.5–1万元/件"),
    dict(name="（演示）海峡医疗健康产业基金", kind="finance", region="福州市", services="早期投资、投融资对接。"),
]


def load(staff: User | None) -> dict[str, int]:
    """Add the demo articles, the event and the providers that are not there yet (by title or name)."""
    if staff is None:
        return {"articles": 0, "providers": 0}
    titles = set(db.session.scalars(db.select(Article.title)))
    added_articles = 0
    now = utcnow()
    for number, spec in enumerate([*ARTICLES, EVENT]):
        if spec["title"] in titles:
            continue
        data = dict(spec)
        if data["category"] == "event":
            data["event_starts_at"] = (now + timedelta(days=21)).replace(hour=1, minute=30, second=0, microsecond=0)
        article = articles.create_article(staff, data)
        articles.publish_article(article, staff, now - timedelta(days=len(ARTICLES) - number))
        added_articles += 1
    names = set(db.session.scalars(db.select(Provider.name)))
    added_providers = 0
    for spec in PROVIDERS:
        if spec["name"] not in names:
            resources.create_provider(staff, spec)
            added_providers += 1
    return {"articles": added_articles, "providers": added_providers}


