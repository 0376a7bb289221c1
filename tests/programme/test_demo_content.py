"""Demo content: policy articles from the seed documents, a 宣贯 event, the provider directory with 省药检院."""
from app.demo import loader as demo
from app.demo import programme as programme_demo
from app.extensions import db
from app.programme import articles
from app.programme.models import Article, ArticleCategory, Provider, ProviderKind


def test_demo_loads_articles_and_providers_once(client):
    demo.load_demo()
    db.session.commit()
    titles = {a.title for a in articles.public_articles()}
    assert "福建省医疗器械临床研究成果转化实施方案（春雨行动）" in titles
    assert "关于印发《北京市关于进一步优化创新医疗器械全流程服务的工作方案》的通知" in titles
    assert {a.category for a in articles.public_articles()} == set(ArticleCategory)
    testing = db.session.scalars(db.select(Provider.name).where(Provider.kind == ProviderKind.TESTING)).all()
    assert any("省药检院" in name for name in testing)
    assert {p.kind for p in db.session.scalars(db.select(Provider))} == set(ProviderKind)
    assert articles.public_articles(query="春雨行动")
    staff = db.session.scalar(db.select(Article.created_by_id).limit(1))
    from app.accounts.models import User
    assert programme_demo.load(db.session.get(User, staff)) == {"articles": 0, "providers": 0}
    assert "政策宣贯会" in client.get("/policy/?category=event").get_data(as_text=True)
