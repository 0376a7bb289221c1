"""Write demo_projects.jsonl from real NMPA classification determinations (run by hand, once).

    .venv/bin/python app/demo/build_demo_projects.py [path/to/determinations_2018_2020.jsonl]

Each demo project starts from one determination (产品名称, 结构组成, 工作原理, 预期用途 and the
decided class); the clinical need, market, team, IP and funding texts are written here. The running
application reads only the generated file; the source data stays outside the package. Source and
licence: see README.md in this folder (CC BY 4.0, © RASAAS, content published by NMPA).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from app.demo.loader import CLINICIANS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "nmpa" / "determinations_2018_2020.jsonl"
CATALOG = ROOT.parent / "shared" / "data" / "nmpa" / "classification_catalog.json"
OUTPUT = HERE / "demo_projects.jsonl"
sys.path.insert(0, str(ROOT))
CLASSES = {"一类": "I", "二类": "II", "三类": "III", "药械组合": "combination"}

ACTIVE_WORDS = ("主机", "电源", "软件", "电极", "电池", "电子", "激光", "传感器", "超声", "射频", "显示",
                "泵", "控制系统", "蓝牙", "微处理器", "光源", "加热")

DROP_SENTENCE = ("风险", "不用于医疗目的", "不用于疾病", "按照", "建议", "无法证明", "未取得", "相关测量分析结果")
TYPE_LABELS = {"active": "有源", "passive": "无源", "ivd": "体外诊断试剂"}

# One row per demo project: determination, owner (CLINICIANS index + 1), target state, stage,
# whether IP exists, days since creation and since the last change, the clinical need in the
# team's words, and overrides where the determination's wording does not fit a 附件1 field.
PROJECTS = [
    ("det0241", 1, "published", "clinical_trial", "", "granted", 210, 150,
     "冠心病患者常需有创冠脉造影及压力导丝测定FFR才能判断狭窄的功能学意义，费用高、有创且基层难以开展。",
     {"structure": "软件产品，由影像导入模块、冠状动脉三维重建模块、血流动力学计算模块和报告模块组成。"}),
    ("det0004", 1, "negotiating", "design_verification", "", "pending", 240, 40,
     "主动脉弓部病变腔内修复时，弓上分支血管的保留是难点，现有开窗技术依赖术者经验、耗时长。", {}),
    ("det0848", 1, "launched", "other", "已取得第二类医疗器械注册证，正在开展上市后临床随访", "granted", 380, 20,
     "心悸、胸闷等症状常为阵发性，门诊心电图难以捕捉，患者反复就诊仍无法明确诊断。", {}),
    ("det0823", 1, "draft", "concept", "", "none", 25, 22,
     "院外心脏骤停抢救中按压深度和频率不达标的情况普遍，非专业施救者缺少实时反馈。",
     {"device_class": "undetermined", "commitment_agreed": False, "publish_consent": None}),
    ("det0136", 1, "returned", "sample", "", "pending", 95, 60,
     "主动脉夹层全弓置换术需深低温停循环，停循环时间越长，脑、脊髓及肾脏并发症风险越高。",
     {"return_comments": ["请补充样品的动物实验数据及球囊耐压测试结果；“行业及市场情况”中请说明国内外同类产品情况。"]}),
    ("det0105", 1, "submitted", "sample", "", "pending", 30, 12,
     "体外循环手术中负压辅助静脉引流的负压多靠手工调节，压力波动易导致气栓或溶血。", {}),
    ("det1226", 1, "withdrawn", "design_verification", "", "none", 160, 120,
     "高血压合并心律失常患者需要同步观察心电与血压变化，目前需分别佩戴两台设备。",
     {"withdraw_reason": "医院已与企业另行签订合作协议，撤回平台发布。"}),
    ("det0242", 1, "incubating", "registration_testing", "", "granted", 330, 35,
     "房颤早期多无症状，脑卒中往往是首发表现，大规模人群的房颤筛查缺少便捷手段。", {}),
    ("det3564", 1, "rejected", "concept", "", "none", 70, 55,
     "医务人员长期处于高压力工作状态，缺少客观评估心理压力水平的工具。",
     {"device_class": "undetermined",
      "reject_reason": "经初核，根据国家药监局分类界定结果，用于评估一般人群心理压力水平的产品不作为医疗器械管理，"
                       "不属于本平台征集范围。如拓展为疾病诊断用途，可调整后重新提报。"}),
    ("det0980", 2, "published", "production_verification", "", "granted", 200, 130,
     "踝关节内翻型骨关节炎行踝上截骨时，截骨角度和方向依靠术中透视反复确认，精度不稳定、透视次数多。",
     {"revised": True,
      "return_comments": ["请在“研究团队情况”中补充3D打印工艺合作单位的情况，并上传已完成病例的术后影像资料。"]}),
    ("det0788", 2, "signed", "production_verification", "", "granted", 300, 45,
     "骨盆骨折出血凶险，院前急救时缺少简便可靠、可量化压力的骨盆外固定手段。", {}),
    ("det0191", 2, "negotiating", "clinical_trial", "", "pending", 260, 30,
     "胫骨高位截骨的术前规划多在胶片或通用软件上手工完成，耗时长，矫正角度误差较大。",
     {"structure": "软件产品，由影像导入模块、骨骼特征标记模块、下肢力线计算模块和截骨方案输出模块组成。"}),
    ("det0976", 2, "draft", "concept", "", "none", 18, 16,
     "脑卒中和脊髓损伤患者早期下地训练需要多名治疗师辅助，康复资源紧张。",
     {"device_class": "undetermined"}),
    ("det0238", 2, "submitted", "sample", "", "pending", 40, 5,
     "肩关节置换术中肩胛盂假体的位置与角度直接影响远期效果，术前规划缺少专用工具。",
     {"structure": "软件产品，由DICOM影像导入、三维重建、测量注释和手术规划模块组成。"}),
    ("det0793", 2, "returned", "sample", "", "none", 80, 48,
     "骨盆、脊柱等复杂部位手术定位困难，徒手置钉的准确性受术者经验影响大。",
     {"return_comments": ["“公开摘要”中含有材料与工艺等技术细节，请删除后重新提交；同时请明确导板的适用部位范围。"]}),
    ("det3675", 2, "rejected", "concept", "", "none", 110, 96,
     "骨折外固定夹板多为通用尺寸，贴合度差，患者佩戴舒适性和固定效果不理想。",
     {"device_class": "undetermined",
      "reject_reason": "经初核，仅用于设计已备案外固定夹板的软件按分类界定结果不作为医疗器械管理，建议与夹板产品一并规划后再提报。"}),
    ("det0041", 3, "published", "registration_testing", "", "granted", 180, 140,
     "结核病的病原学诊断依赖培养，周期长达数周，基层实验室条件有限，漏诊率较高。", {}),
    ("det0247", 3, "negotiating", "clinical_trial", "", "pending", 230, 28,
     "血液病及重症患者侵袭性曲霉病进展快、病死率高，早期诊断依赖检测试剂，目前多为进口产品。", {}),
    ("det1163", 3, "launched", "other", "已取得注册证，正在开展省内多中心推广应用", "granted", 400, 25,
     "早产是新生儿死亡的主要原因之一，先兆早产孕妇的风险分层缺少快速、客观的床旁检测。", {}),
    ("det0112", 3, "submitted", "design_verification", "", "pending", 35, 8,
     "基层医院和发热门诊缺少PCR实验室条件，病原核酸检测需外送，报告周期长。",
     {"name": "恒温核酸扩增分析仪"}),
    ("det0135", 3, "draft", "other", "动物实验阶段（已完成猪模型取样试验）", "pending", 15, 10,
     "食管癌高发地区的筛查依赖胃镜，患者接受度低，人群筛查覆盖率不足。", {}),
    ("det0081", 4, "published", "clinical_trial", "", "granted", 170, 110,
     "睑板腺功能障碍是干眼的主要原因，热敷和按摩等传统治疗效果有限、依从性差。", {}),
    ("det0070", 4, "incubating", "registration_testing", "", "granted", 310, 50,
     "中重度干眼患者人工泪液需频繁点用，部分患者仍难以缓解症状。", {}),
    ("det2707", 4, "published", "production_verification", "", "none", 150, 100,
     "泪道阻塞患者行泪道插管时，探通与引流管植入需多次更换器械，操作繁琐。",
     {"revised": True,
      "return_comments": ["请补充与现有泪道探针相比的改进点，并在“知识产权情况”中说明是否已申请专利。"]}),
    ("det0077", 5, "published", "clinical_trial", "", "granted", 190, 120,
     "宫腔粘连是宫腔镜手术后的常见并发症，复发率高，严重影响育龄女性生育力。", {}),
    ("det1033", 5, "signed", "production_verification", "", "granted", 280, 60,
     "产后子宫复旧不良可导致恶露不尽和产后出血，目前以药物和手法按摩为主。", {}),
    ("det0216", 5, "published", "design_verification", "", "pending", 140, 90,
     "宫颈癌和子宫内膜癌近距离后装治疗中，通用施源器与患者阴道解剖贴合欠佳，剂量分布受影响。", {}),
    ("det0029", 6, "published", "registration_testing", "", "granted", 220, 160,
     "腹腔镜手术中扶镜需专人长时间手持，易疲劳导致画面抖动，影响手术效率和安全。", {}),
    ("det0776", 6, "negotiating", "production_verification", "", "granted", 250, 33,
     "急诊外伤清创缝合量大，深部创口全层缝合对低年资医生要求高，缝合质量参差不齐。", {}),
    ("det0069", 6, "returned", "design_verification", "", "pending", 75, 38,
     "糖尿病足、压力性溃疡等慢性创面住院周期长，传统负压设备体积大，患者难以下床活动。",
     {"return_comments": ["请说明负压引流泵的压力范围及报警功能，并补充创面愈合对照观察的初步数据。"]}),
    ("det4393", 6, "published", "sample", "", "pending", 120, 85,
     "术后切口及浅表创面感染仍是外科常见问题，抗生素滥用带来耐药风险。", {}),
    ("det0141", 6, "draft", "concept", "", "none", 12, 9,
     "不能手术的肝癌患者常需反复行动脉栓塞治疗，永久性栓塞材料影响再次治疗。", {}),
    ("det0890", 7, "published", "production_verification", "", "granted", 160, 105,
     "口腔种植手术中植体位置和角度偏差会影响修复效果，徒手种植对医生经验依赖大。", {}),
    ("det0222", 8, "published", "clinical_trial", "", "granted", 200, 125,
     "重症监护及慢阻肺患者痰液黏稠、排痰困难，易并发肺不张和肺部感染。", {}),
    ("det0811", 8, "withdrawn", "sample", "", "none", 130, 100,
     "机械通气患者的肺通气分布无法在床旁实时观察，呼吸机参数调整缺少直观依据。",
     {"withdraw_reason": "团队拟先完成与高校的联合研发和样机迭代，暂不在平台发布。"}),
    ("det0028", 8, "published", "sample", "", "pending", 100, 70,
     "山区县乡医院缺少经验丰富的超声医师，患者常需长途转诊检查。", {}),
    ("det0973", 9, "published", "design_verification", "", "granted", 175, 115,
     "脑卒中后吞咽及发音障碍患者众多，喉肌功能评估多依赖治疗师主观判断。", {}),
    ("det1113", 9, "launched", "other", "已取得注册证，进入医院采购目录", "granted", 420, 30,
     "颈肩腰腿痛等慢性疼痛患者需长期理疗，传统针灸与艾灸分开进行、耗时长。", {}),
    ("det2690", 9, "incubating", "production_verification", "", "granted", 290, 55,
     "脑卒中偏瘫患者早期主动运动训练受肌力不足限制，治疗师徒手辅助负担重。", {}),
    ("det0863", 9, "submitted", "sample", "", "none", 28, 6,
     "长期卧床及术后患者压疮发生率高，护理工作量大，现有防压疮床垫舒适性和透气性不足。", {}),
]

# Where a determination's wording does not fit a 附件1 field (no working principle given, the
# intended use spread over several sentences), the field is rewritten from the same description.
FIELD_OVERRIDES = {
    "det0004": {"principle": "经桡动脉或颈动脉介入，将定位支架预置到需要重建的分支血管主动脉弓处，确定开窗位置后"
                             "由破膜针在主动脉覆膜支架上原位破膜开窗，输送器回撤后重建分支血流。"},
    "det0136": {"principle": "在主动脉放置支撑型人工血管后，经主动脉切口将球囊置于人工血管中段，充入生理盐水使球囊"
                             "充盈封堵主动脉，同时开放股动脉灌注，恢复降主动脉以远的血流；手术结束后取出。",
                "intended_use": "用于体外循环下主动脉夹层全弓置换加支架象鼻手术中封堵主动脉、恢复下半身灌注，"
                                "缩短深低温停循环时间。"},
    "det0105": {"principle": "压力传感器实时监测静脉引流管路负压，主机气路组件按设定值自动调节负压，超出设定范围时"
                             "声光报警。"},
    "det0242": {"structure": "软件产品，由数据读取模块、房颤识别算法模块和结果显示与存储模块组成。"},
    "det0980": {"structure": "由定位截骨座、前髁力线套、后髁力线套、楔形撑开器、外侧合页固定板组成。采用聚十二内酰胺"
                             "经3D打印工艺制造。非无菌提供，使用前由使用单位进行灭菌处理。",
                "principle": "根据患者CT数据设计与胫骨远端贴合的截骨导板，术中通过力线套确定下肢力线，截骨座引导截骨"
                             "方向和角度，楔形撑开器辅助撑开矫正。"},
    "det0191": {"principle": "软件根据输入的影像数据对患者骨骼特征进行标记，由标记点构成下肢力线等辅助轴线，计算矫正"
                             "角度并生成截骨方案。"},
    "det0793": {"principle": "根据患者CT影像进行三维重建和手术规划，按骨面解剖形态设计贴合式导板并3D打印，术中导板贴合"
                             "骨面后为钻孔、置钉或截骨提供定位和导向。"},
    "det3675": {"structure": "软件产品，由影像处理模块、特征标记模块和夹板设计计算模块组成。",
                "principle": "软件对CT、MRI影像进行处理，标记受伤部位的关键点、线、面，计算外固定夹板的设计参数。"},
    "det0041": {"principle": "采用胶体金免疫层析法，样本中的结核菌分泌蛋白与胶体金标记抗体结合后，在检测线处被固定"
                             "抗体捕获显色。"},
    "det0247": {"principle": "采用胶体金免疫层析法，样本中的曲霉菌半乳甘露聚糖与胶体金标记的特异性抗体结合，被固定化"
                             "抗体捕获后在检测线处显色。"},
    "det1163": {"principle": "采用荧光免疫层析法，样本中的胎儿纤维连接蛋白与荧光标记的单克隆抗体结合后在检测线处被捕获，"
                             "由荧光读数仪判读结果。",
                "intended_use": "用于体外定性检测人阴道分泌物中的胎儿纤维连接蛋白，临床上主要用于早产辅助诊断。"},
    "det0112": {"principle": "加热模块在恒定温度下驱动核酸等温扩增，温控系统保持反应温度稳定，扩增结束后在紫外光照射下"
                             "判读结果阴阳性。与恒温核酸扩增试剂配合使用。"},
    "det0070": {"structure": "由头部和杆状体组成，分为直形和弯形两种，弯形杆状体带两个或三个防滑装置。采用医用硅胶材料"
                             "制成。无菌提供，一次性使用。",
                "principle": "植入泪小管后物理阻塞泪液排出通道，延长泪液在眼表的停留时间；到期后由医生取出。"},
    "det2707": {"principle": "先将泪道探针插入泪道，经泪鼻管探通至鼻腔底部；拔出针芯后，将泪道引流管的引线穿入套管腔，"
                             "引导植入泪道引流管，一套器械完成探通与置管。"},
    "det0077": {"principle": "隔离膜在宫腔内适形放置，于子宫内膜修复期间将受创的宫腔前后壁物理隔开，减少粘连形成；"
                             "尾丝便于术后取出。"},
    "det0216": {"principle": "施源器按患者阴道解剖尺寸3D打印成型，与近距离后装治疗设备配合，为放射源提供定位准确的传送"
                             "通道，使剂量分布贴合靶区。"},
    "det0029": {"principle": "由机械手握持腹腔镜，术者通过控制装置调整腹腔镜的姿态与位置，摆臂和升降机构保持视野稳定。"},
    "det0776": {"principle": "穿刺针带引线槽，借助针托和拖线钮引导缝合线在创口两侧完成皮上、皮下穿线，定位胶垫保证"
                             "进针深度一致，实现经皮全层缝合。"},
    "det0069": {"principle": "负压引流泵通过管路与负压护创敷料连接，在设定负压下将低到中等程度的渗出液和感染物质引流"
                             "至体外，促进伤口愈合。",
                "intended_use": "用于对创面进行引流，创面包括慢性伤口、急性伤口、创伤性伤口、亚急性和裂开伤口、部分皮层"
                                "烧伤、溃疡（例如糖尿病溃疡或压力性溃疡）、皮瓣移植物、手术关闭的切口部位等。"},
    "det0890": {"structure": "由基板和导环两部分组成。基板采用环氧树脂材料，根据CAD模型通过3D打印技术制成；导环采用"
                             "齿科纯钛金属材料制成。非无菌提供，一次性使用，接触人体前用酒精或碘伏浸泡。",
                "principle": "根据患者CBCT影像和口内扫描数据进行数字化种植规划，导板就位后通过导环限定钻针的位置、"
                             "角度和深度。"},
}

RETURN_DEFAULT = "请补充样品测试数据，并完善“临床运用前景”中的目标患者群体和临床获益说明。"

BENEFITS = {
    "active": ("产品可在{dept}及基层医院推广使用，有望提高诊疗效率、减轻医护人员工作负担。",
               "项目有望形成具有自主知识产权的国产设备，降低医院采购和使用成本。"),
    "passive": ("产品结构简单、成本可控，适合在省内各级医院推广，有望替代部分进口产品。",
                "项目源于临床一线需求，有望缩短手术时间、减少并发症，提升患者就医体验。"),
    "ivd": ("检测操作简便、出结果快，适合在基层医疗机构开展，有助于实现早诊早治。",
            "项目有望提供国产化检测方案，缩短报告周期，降低患者检测费用。"),
}

MARKETS = (
    "国内同类已上市产品以进口品牌为主，价格较高，基层医院配置率低；国产同类产品较少，细分市场处于成长期。",
    "国内已有少量同类产品获批，但在操作便捷性和适用人群方面仍有改进空间；随着分级诊疗推进和集中采购，"
    "性价比高的国产产品需求持续增长。",
    "该细分领域近年保持较快增长，省内尚无同类产品生产企业，具备在本省落地转化的条件。",
)

UNIVERSITIES = ("福州大学机械工程及自动化学院", "厦门大学航空航天学院", "华侨大学机电及自动化学院",
                "福建师范大学光电与信息工程学院", "集美大学海洋装备与机械工程学院")

IVD_PARTNER = "福建医科大学医学技术与工程学院"
PROFESSIONS = {"检验科": "技师", "康复医学科": "治疗师"}

FUNDING = ("福建省自然科学基金面上项目", "福建省卫生健康科技计划项目（青年科研课题）", "{city}科技计划项目",
           "无", "福建省医学创新课题", "国家自然科学基金青年科学基金项目（相关基础研究）")

IN_PROVINCE = ("具备相应类别医疗器械生产许可的省内企业均可", "福州、厦门地区有相关产品线的医疗器械企业",
               "省内有意向拓展{l1}产品线的企业")

OUT_OF_PROVINCE = ("长三角地区相关领域企业", "珠三角地区有注册经验的企业", "")


def split_description(description: str) -> tuple[str, str, str]:
    """Sort a determination's sentences into 结构组成, 工作原理 and 适用范围/预期用途."""
    structure, principle, intended = [], [], []
    for sentence in re.split(r"。", description.replace("声称", "").strip("”“ ")):
        sentence = sentence.strip("，, ")
        if not sentence or any(word in sentence for word in DROP_SENTENCE):
            continue
        head, use = sentence, ""
        match = re.search(r"[，,；](临床上)?(主要)?用于", sentence)
        if re.match(r"(临床上)?(主要)?(也|还)?(适)?用于", sentence):
            head, use = "", sentence
        elif match:
            head, use = sentence[:match.start()], sentence[match.start() + 1:]
        if use:
            intended.append(use)
        if head:
            if any(w in head for w in ("组成", "构成", "制成", "无菌", "一次性使用", "可重复使用", "软件产品",
                                       "不含", "不包括", "制造", "手动器械")):
                structure.append(head)
            else:
                principle.append(head)
    return ("。".join(structure) + "。" if structure else "",
            "。".join(principle) + "。" if principle else "",
            "。".join(intended) + "。" if intended else "")


def team_work(kind: str, structure: str) -> str:
    """What the engineering partner does, in the words of the project's kind."""
    if kind == "ivd":
        return "关键原料筛选与方法学验证"
    if structure.startswith("软件产品"):
        return "算法开发与软件测试"
    return "结构设计、样品试制与性能测试"


def project_type(source: dict) -> str:
    if source["code"] == "6840" or "试剂" in source["product_name"]:
        return "ivd"
    text = source["product_name"] + source["description"]
    return "active" if any(word in text for word in ACTIVE_WORDS) else "passive"


def category(source: dict, catalog: dict) -> tuple[str, str]:
    """The catalog's first-level name and the classification code, as the market text quotes them."""
    if source["code"] == "6840":
        return "体外诊断试剂", "分类编码 6840"
    l1 = next((c["name"] for c in catalog["l1_categories"] if c["code"] == source["l1_code"]), "")
    return l1, f"分类编码 {source['code']}"


def build(source_path: Path) -> list[dict]:
    determinations = {}
    for line in source_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            determinations[record["id"]] = record
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    records = []
    for number, (det_id, owner, status, stage, stage_other, ip, created, last, need, extra) in enumerate(PROJECTS):
        source = determinations[det_id]
        extra = {**FIELD_OVERRIDES.get(det_id, {}), **extra}
        clinician = CLINICIANS[owner - 1]
        structure, principle, intended = split_description(source["description"])
        structure = extra.get("structure") or structure
        kind = extra.get("project_type") or project_type(source)
        l1, code_text = category(source, catalog)
        name = extra.get("name") or source["product_name"]
        dept = clinician.department
        intended = extra.get("intended_use") or intended
        record = {
            "id": f"demo-{number + 1:02d}",
            "name": name,
            "city": clinician.city,
            "lead_name": clinician.name,
            "department": dept,
            "phone": clinician.phone,
            "email": clinician.email,
            "project_type": kind,
            "device_class": extra.get("device_class") or CLASSES.get(source["class_label"], "undetermined"),
            "stage": stage,
            "stage_other": stage_other,
            "structure": structure,
            "principle": extra.get("principle") or principle,
            "intended_use": intended,
            "clinical_prospects": need + BENEFITS[kind][number % 2].format(dept=dept),
            "market": f"本产品属于《医疗器械分类目录》“{l1}”类别（{code_text}）。" + MARKETS[number % 3],
            "team": (f"项目负责人{clinician.name}，{clinician.title}，{clinician.hospital}{dept}。团队共{4 + number % 4}人，"
                     f"包括{dept}{PROFESSIONS.get(dept, '医师')}{2 + number % 3}名，"
                     f"并与{IVD_PARTNER if kind == 'ivd' else UNIVERSITIES[number % 5]}合作开展{team_work(kind, structure)}。"),
            "ip_exists": ip,
            "ip_status": {
                "granted": f"已获授权实用新型专利1项、发明专利1项，专利权人为{clinician.hospital}。",
                "pending": f"已提交发明专利申请1项（实质审查中），申请人为{clinician.hospital}。",
                "none": "尚未申请专利，拟在完成样品设计后提交发明专利申请。",
            }[ip],
            "funded_programs": FUNDING[number % len(FUNDING)].format(city=clinician.city),
            "current_cooperation": {
                "draft": "暂无合作企业。", "submitted": "暂无合作企业，希望通过平台对接有生产资质的企业。",
                "returned": "暂无合作企业。", "rejected": "暂无。",
                "withdrawn": "已与企业另行接洽。" if "签订" in extra.get("withdraw_reason", "") else "暂无。",
                "published": "暂无合作企业，已与两家企业进行初步技术交流。",
                "negotiating": "已通过平台与省内医疗器械企业进入合作洽谈。",
                "signed": "已与省内医疗器械企业签署技术转让及联合开发合同。",
                "incubating": "合作企业负责注册检验和生产体系建设，临床团队负责临床评价。",
                "launched": "已由合作企业完成注册并上市销售。",
            }[status],
            "partners_in_province": IN_PROVINCE[number % 3].format(l1=l1),
            "partners_out_of_province": OUT_OF_PROVINCE[number % 3],
            "other_notes": "可提供前期临床使用数据及样品演示。" if stage != "concept" else "",
            "public_summary": (f"来自{clinician.city}{dept}临床一线的{TYPE_LABELS[kind]}医疗器械项目。{need}"
                               f"本产品拟{intended.rstrip('。')}。"),
            "commitment_agreed": extra.get("commitment_agreed", True),
            "publish_consent": extra.get("publish_consent", True),
            # loader-only keys
            "status": status,
            "owner": clinician.email,
            "created_days_ago": created,
            "last_change_days_ago": last,
            "source": f"NMPA 分类界定 {source['year']}（{source['batch']}）：{source['product_name']}，"
                      f"{source['class_label']}，{det_id}",
        }
        for key in ("revised", "return_comments", "reject_reason", "withdraw_reason"):
            if key in extra:
                record[key] = extra[key]
        if status == "returned" and "return_comments" not in record:
            record["return_comments"] = [RETURN_DEFAULT]
        records.append(record)
    return records


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    records = build(source)
    OUTPUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    print(f"wrote {len(records)} projects to {OUTPUT}")


if __name__ == "__main__":
    main()
