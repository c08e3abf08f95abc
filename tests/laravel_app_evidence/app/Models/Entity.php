<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;
use Illuminate\Database\Eloquent\Relations\HasMany;

// The base of pages and blog posts: who made, changed and owns a row. No table of its own.
abstract class Entity extends Model
{
    protected $fillable = ['title', 'created_by', 'updated_by', 'owned_by'];

    public function creator(): BelongsTo
    {
        return $this->belongsTo(User::class, 'created_by');
    }

    public function editor(): BelongsTo
    {
        return $this->belongsTo(User::class, 'updated_by');
    }

    public function owner(): BelongsTo
    {
        return $this->belongsTo(User::class, 'owned_by');
    }

    // Laravel's default foreign key, from the class that has the relation: page_id for a Page, post_id for a Post
    public function comments(): HasMany
    {
        return $this->hasMany(Comment::class);
    }

    // $query is the builder of the model the scope is called on: a Page's or a Post's
    public function scopeCreatedBy($query, int $userId)
    {
        return $query->where('created_by', $userId);
    }
}
